import type { Services } from '../services.js'

/** What every request handler can reach: the services, opened once per process. */
export interface AppEnv {
  Variables: {
    services: Services
  }
}
