import { serve } from '@hono/node-server'
import type { Services } from '../services.js'
import { newApp } from './app.js'

/**
 * Serves the API until SIGINT/SIGTERM, then stops accepting requests and closes the services
 * (a memory online store writes its snapshot then). Resolves when the server has stopped.
 */
export const serveHttp = async (
  services: Services,
  options: { port: number; hostname: string; onListening?: (url: string) => void },
): Promise<void> => {
  const app = newApp(services)
  await new Promise<void>((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port: options.port, hostname: options.hostname },
      (info) => options.onListening?.(`http://${options.hostname}:${info.port}`),
    )
    server.once('error', reject)
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      server.close(() => resolve())
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
