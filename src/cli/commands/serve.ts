import type { Command } from 'commander'
import { AppError, isAppError } from '../../core/errors.js'
import type { Services } from '../../services.js'
import { withServices } from '../../services.js'
import type { CommandModule } from '../program.js'

/** Adds the --port/--host options `ward serve` and `ward demo` share. */
export const withServeOptions = (command: Command): Command =>
  command
    .option('--port <n>', 'port to listen on', process.env.PORT ?? '8080')
    .option('--host <address>', 'address to bind', '127.0.0.1')

/** Serves the API on the already-open services until SIGINT/SIGTERM. */
export const serveUntilStopped = async (
  s: Services,
  o: { port: string; host: string },
): Promise<void> => {
  const port = Number(o.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('VALIDATION', `--port must be 0-65535, not '${o.port}'`, { field: 'port' })
  }
  // Loaded here, not at the top: the HTTP layer (Hono, OpenAPI schemas) is ~0.15 s of start-up
  // that every other command would pay.
  const { serveHttp } = await import('../../http/serve.js')
  await serveHttp(s, {
    port,
    hostname: o.host,
    onListening: (url) =>
      process.stderr.write(
        `ward: serving ${url} (GET /healthz, GET /v1/feature-views, POST /v1/online-features, GET /openapi.json); Ctrl-C stops\n`,
      ),
  })
}

/** `ward serve`: the HTTP API (the Dockerfile's command). */
export const serveCommand: CommandModule = (program, globals) => {
  withServeOptions(program.command('serve').description('serve the HTTP API')).action(
    async (o: { port: string; host: string }) => {
      await withServices(globals().config, process.env, async (s) => {
        // The API reads the online store only, so unapplied definitions do not stop it (a fresh
        // container must start); they are worth a warning, since the files and data may differ.
        await s.appliedRepo().catch((e: unknown) => {
          if (!(isAppError(e) && e.code === 'CONFLICT')) throw e
          process.stderr.write(`ward: warning: ${e.message}\n`)
        })
        await serveUntilStopped(s, o)
      })
    },
  )
}
