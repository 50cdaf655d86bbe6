import { loadConfigFile } from "../../config/index.ts";
import { createGateway } from "../../index.ts";
import { createLogger } from "../../telemetry/logger.ts";
import { parseCommandArgs, parsePort } from "../args.ts";
import { exitCode, untilSignal, type CliIo } from "../io.ts";
import { installProcessGuard } from "../process-guard.ts";

export const serveHelp = `Usage: baton serve --config <file> [--port <port>]

Starts the gateway from a config file: migrates the store, starts the providers and the HTTP server
(/handover/eightByEight, /healthz, /readyz, /metrics). Logs are JSON lines on stdout.
SIGTERM or SIGINT stops it gracefully (in-flight webhook events are finished first).

  --config, -c   the YAML config file (default: baton.yaml)
  --port, -p     overrides server.port`;

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: "string", short: "c", default: "baton.yaml" },
    port: { type: "string", short: "p" },
  });
  if (values.help) {
    io.out(serveHelp);
    return exitCode.ok;
  }
  const loaded = await loadConfigFile(values.config);
  const port = values.port === undefined ? undefined : parsePort(values.port, "--port", 3000);
  // The gateway gets this logger too, so the guard's lines look like every other line of the process.
  const logger = createLogger({ level: loaded.config.log.level });
  const uninstallGuard = installProcessGuard(logger, { command: "serve" });
  try {
    const gateway = await createGateway(loaded, port === undefined ? { logger } : { logger, port });
    const signal = await untilSignal();
    logger.info({ signal }, "shutting down");
    await gateway.close();
    return exitCode.ok;
  } finally {
    uninstallGuard();
  }
}
