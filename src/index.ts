import { createBus, type Bus } from "./bus/index.ts";
import type { LoadedConfig } from "./config/index.ts";
import { createProviders } from "./providers/registry.ts";
import type { HandoverProvider, ProviderEvent, ProviderEventHandler } from "./providers/port.ts";
import { buildServer, type HttpServer } from "./server/index.ts";
import { createStore } from "./store/index.ts";
import type { Store } from "./store/types.ts";
import { createLogger, type Logger } from "./telemetry/logger.ts";
import { createMetrics, type Metrics } from "./telemetry/metrics.ts";

export interface GatewayOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Receives every provider event after it was verified, de-duplicated and ordered. */
  readonly onProviderEvent?: ProviderEventHandler;
  /** Overrides `server.port` (0 picks a free port). */
  readonly port?: number;
  readonly host?: string;
}

export interface Gateway {
  /** Base URL the gateway listens on, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly publicUrl: string;
  readonly app: HttpServer;
  readonly store: Store;
  readonly bus: Bus;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  readonly logger: Logger;
  /** Stops accepting requests, drains providers, closes the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a gateway from a validated configuration: store (migrated), providers, HTTP server.
 *
 * @example
 * const gateway = await createGateway(await loadConfigFile("baton.yaml"));
 * process.once("SIGTERM", () => void gateway.close());
 */
export async function createGateway(loaded: LoadedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const { config } = loaded;
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const metrics = options.metrics ?? createMetrics();
  const store = await createStore(config.store, { baseDir: loaded.baseDir });
  const closers: (() => Promise<void>)[] = [() => store.close()];
  try {
    const bus = await createBus(config.bus);
    closers.unshift(() => bus.close());
    const { applied } = await store.migrate();
    if (applied.length > 0) logger.info({ applied }, "store migrated");
    const onEvent = options.onProviderEvent ?? logProviderEvent(logger);
    const providers = createProviders(config.providers, { store, logger, metrics, onEvent });
    closers.unshift(...[...providers.values()].map((p) => () => p.stop()));
    const app = await buildServer({
      logger,
      metrics,
      providers,
      bodyLimit: config.server.bodyLimit,
      readiness: [
        { name: "store", check: () => store.ping() },
        { name: "bus", check: () => bus.ping() },
      ],
    });
    closers.unshift(() => app.close());
    for (const provider of providers.values()) await provider.start();
    const port = options.port ?? config.server.port;
    const host = options.host ?? config.server.host;
    await app.listen({ port, host });
    const url = listeningUrl(app, host);
    const publicUrl = config.server.publicUrl ?? `http://localhost:${new URL(url).port}`;
    logger.info(
      { url, publicUrl, store: store.dialect, providers: [...providers.keys()] },
      "gateway listening",
    );
    return { url, publicUrl, app, store, bus, providers, logger, close: once(() => runAll(closers)) };
  } catch (error) {
    await runAll(closers);
    throw error;
  }
}

/** The default event consumer until a handover service subscribes: one structured log line per event. */
function logProviderEvent(logger: Logger): ProviderEventHandler {
  return (event: ProviderEvent) => {
    logger.info(
      {
        provider: event.providerId,
        kind: event.kind,
        conversationId: event.conversationId,
        eventId: event.eventId,
      },
      "provider event",
    );
    return Promise.resolve();
  };
}

function listeningUrl(app: HttpServer, host: string): string {
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
}

async function runAll(steps: readonly (() => Promise<void>)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch {
      // Closing continues: one failing step must not leave the store or sockets open.
    }
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

export {
  loadConfigFile,
  readConfigFile,
  validateConfig,
  type BatonConfig,
  type LoadedConfig,
} from "./config/index.ts";
export { BatonError, errorCatalog, type ErrorCode } from "./errors/index.ts";
export type { ProviderEvent, ProviderEventHandler, HandoverProvider } from "./providers/port.ts";
