import { serve } from '@hono/node-server'
import { AppError } from '../core/errors.js'
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
    server.once('error', (e) => reject(listenError(e, options.hostname, options.port)))
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      server.close(() => resolve())
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

/** A port in use or not allowed is the user's to fix: say so, with the flag that fixes it. */
const listenError = (e: unknown, hostname: string, port: number): unknown => {
  const code = (e as { code?: unknown }).code
  const why =
    code === 'EADDRINUSE'
      ? 'the port is in use'
      : code === 'EACCES'
        ? 'not allowed (ports below 1024 need privileges)'
        : code === 'EADDRNOTAVAIL'
          ? 'no such address on this machine'
          : undefined
  if (why === undefined) return e
  return new AppError(
    'UNAVAILABLE',
    `cannot listen on ${hostname}:${port}: ${why}; choose another with --port or --host`,
    { field: 'port', cause: e },
  )
}
