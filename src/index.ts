import { createBus, type Bus } from "./bus/index.ts";
import { loadEndpoints } from "./channels/endpoint-loader.ts";
import { createCopilotAccess } from "./channels/copilot/access.ts";
import { registerCopilotPage } from "./channels/copilot/page.ts";
import { createCopilotLinks, type CopilotLinks } from "./channels/copilot/links.ts";
import { registerCopilotChannel } from "./channels/copilot/socket.ts";
import { registerRestChannel, sessionApiSecrets } from "./channels/rest/routes.ts";
import { createWebhookChannel, type WebhookChannel } from "./channels/webhook/index.ts";
import { registerWebchatPage } from "./channels/webchat/page.ts";
import { registerWebchatChannel, type WebchatDeps } from "./channels/webchat/socket.ts";
import { createConversationService, type ConversationService } from "./conversation/service.ts";
import type { EndpointRuntime } from "./conversation/types.ts";
import type { BatonConfig, LoadedConfig } from "./config/index.ts";
import { createSessionAdmission } from "./channels/rate-limit.ts";
import { createAi, type AiService, type KnowledgeIndex } from "./copilot/ai/index.ts";
import { emptyKnowledgeIndex, loadKnowledgeFolder } from "./copilot/knowledge/index.ts";
import { redact } from "./copilot/redaction.ts";
import { createCopilotRunner, type CopilotRunner } from "./copilot/runner.ts";
import { createEventLogRecorder, type EventLogRecorder } from "./eventlog/recorder.ts";
import { createProviders } from "./providers/registry.ts";
import { handoverTimerKind } from "./handover/effects.ts";
import { createAgentNotifier } from "./handover/outbox-items.ts";
import type { HandoverProvider, ProviderEvent, ProviderEventHandler } from "./providers/port.ts";
import { buildServer, type HttpServer } from "./server/index.ts";
import { registerAdminApi } from "./server/routes/admin.ts";
import { registerAdminPage } from "./server/routes/admin-page.ts";
import { requireMetricsToken } from "./server/routes/metrics.ts";
import { flowHttp } from "./runtime/flow-http.ts";
import { busKindOf, startInstance, type InstanceTiming } from "./runtime/instance.ts";
import { combineOutboxWork, createOutboxWorker } from "./runtime/outbox-worker.ts";
import { createReconcileScheduler, type ReconcileScheduler } from "./runtime/reconcile-scheduler.ts";
import { createTimerService } from "./runtime/timer-service.ts";
import { createStore } from "./store/index.ts";
import type { Store } from "./store/types.ts";
import { resolve } from "node:path";
import { createLogger, type Logger } from "./telemetry/logger.ts";
import { createMetrics, type Metrics } from "./telemetry/metrics.ts";

export interface GatewayOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /**
   * Also receives every provider event after it was verified, de-duplicated and ordered (after the
   * conversation service applied it). For tests and integrations.
   */
  readonly onProviderEvent?: ProviderEventHandler;
  /** Overrides `server.port` (0 picks a free port). */
  readonly port?: number;
  readonly host?: string;
  /** Web chat tuning: how long a user may be without a socket before the agent hears "the user left". */
  readonly webchat?: Pick<WebchatDeps, "disconnectGraceMs">;
  /** How often this instance beats and when a silent one counts as gone (tests shorten them). */
  readonly instance?: Partial<InstanceTiming>;
  /** Copilot overrides for tests: another AI service or knowledge index, refusals per minute before 4429. */
  readonly copilot?: {
    readonly ai?: AiService;
    readonly knowledge?: KnowledgeIndex;
    readonly maxFailuresPerMinute?: number;
    /** Where the built workspace app is (default dist/web/copilot/). */
    readonly dist?: string;
  };
}

export interface Gateway {
  /** Base URL the gateway listens on, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly publicUrl: string;
  readonly app: HttpServer;
  readonly store: Store;
  readonly bus: Bus;
  /** This process's id among the instances sharing the store (the outbox records it on its claims). */
  readonly instanceId: string;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly conversations: ConversationService;
  /** The Agent Copilot runner (`idle()` waits for queued workspace updates). */
  readonly copilot: CopilotRunner;
  /**
   * Catch-up of open handovers with their provider: `sweep()` all, `handover(id)` one (on demand, e.g. the
   * admin API), `idle()` waits for running ones. It runs by itself at start, after gaps and outages.
   */
  readonly reconcile: ReconcileScheduler;
  /** The operator's event log writer (`flush()` writes what is buffered; the admin API reads the store). */
  readonly eventLog: EventLogRecorder;
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
  const closers: Closer[] = [{ name: "store", close: () => store.close() }];
  try {
    const bus = await createBus(config.bus, { logger });
    closers.unshift({ name: "bus", close: () => bus.close() });
    const { applied } = await store.migrate();
    if (applied.length > 0) logger.info({ applied }, "store migrated");
    // Closed after the providers and before the store, so the last requests' entries are still written.
    const eventLog = createEventLogRecorder({ repository: store.eventLog, logger, ...config.eventLog });
    closers.unshift({ name: "event log", close: () => eventLog.close() });
    const providers = createProviders(config.providers, { store, bus, logger, metrics, eventLog });
    closers.unshift(
      ...[...providers.values()].map((p) => ({ name: `provider ${p.id}`, close: () => p.stop() })),
    );
    const endpoints = await loadEndpoints(config, loaded.baseDir, store, providers);
    // The worker exists first so every service can kick it; the services' handlers are bound at start.
    // Registered before the outbox claims anything (its claims name the instance); on a shared store it
    // refuses to start beside another live instance when either uses the memory bus.
    const instance = await startInstance({
      store,
      logger,
      bus: busKindOf(config.bus),
      ...(options.instance === undefined ? {} : { timing: options.instance }),
    });
    const outbox = createOutboxWorker({
      store,
      logger,
      instanceId: instance.id,
      staleAfterMs: instance.timing.staleAfterMs,
      retryForMs: config.outbox.retryForMinutes * 60_000,
    });
    // Stopped after the outbox: a call still running then keeps the row, so others wait for it to go silent.
    closers.unshift({ name: "instance", close: () => instance.stop({ keepRow: outbox.running() > 0 }) });
    closers.unshift({ name: "outbox", close: () => outbox.stop() });
    const kickOutbox = () => outbox.kick();
    // Core routes first: the Copilot's links need the address the server ends up listening on.
    const app = await buildServer({
      logger,
      metrics,
      providers,
      bodyLimit: config.server.bodyLimit,
      trustProxy: config.server.trustProxy,
      tokenRoutesPerMinute: config.server.limits.tokenRoutesPerMinute,
      readiness: [
        { name: "store", check: () => store.ping() },
        { name: "bus", check: () => bus.ping() },
      ],
      mount: [
        (server) => requireMetricsToken(server, config.server.metricsToken),
        (server) =>
          registerAdminApi(server, {
            adminKey: config.server.adminKey,
            eventLog: store.eventLog,
            webhookEvents: store.webhookEvents,
            providers,
            publicUrl: () => publicUrl(),
          }),
        (server) => registerAdminPage(server),
      ],
    });
    closers.unshift({ name: "http server", close: () => app.close() });
    const host = options.host ?? config.server.host;
    const publicUrl = (): string => config.server.publicUrl ?? `http://localhost:${listeningPort(app)}`;
    const copilotConfig = config.copilot;
    const knowledge =
      options.copilot?.knowledge ??
      (copilotConfig.knowledge === undefined
        ? emptyKnowledgeIndex
        : await loadKnowledgeFolder(resolve(loaded.baseDir, copilotConfig.knowledge.folder), { logger }));
    const links = createCopilotLinks(store, copilotConfig.link);
    const copilot = createCopilotRunner({
      store,
      bus,
      ai: options.copilot?.ai ?? createAi(copilotConfig.ai, { logger }),
      knowledge,
      redact: (text) => redact(text, copilotConfig.redaction),
      logger,
      endpoints,
      http: flowHttp,
      linkFor: (session, endpoint) => links.linkFor(publicUrl(), session, endpoint),
      ...(copilotConfig.link.text === undefined ? {} : { linkText: copilotConfig.link.text }),
      agent: createAgentNotifier({ store, kickOutbox }),
    });
    // Queued workspace updates finish after the HTTP server stopped taking new work.
    closers.splice(1, 0, { name: "copilot", close: () => copilot.idle() });
    const webhook = createWebhookChannel({ endpoints, store, logger, providers });
    const service = createConversationService({
      store,
      bus,
      endpoints,
      providers,
      http: flowHttp,
      logger,
      kickOutbox,
      sessionEvents: webhook.sessionEvents,
      copilot: copilot.triggers,
    });
    const handovers = service.handovers;
    const timers = createTimerService({
      store,
      logger,
      handlers: { [handoverTimerKind]: (payload) => handovers.onTimer(payload) },
    });
    closers.unshift({ name: "timers", close: () => timers.stop() });
    const reconcile = createReconcileScheduler({
      reconcile: handovers.reconcile,
      logger,
      intervalMs: config.reconcile.intervalSeconds * 1000,
      concurrency: config.reconcile.concurrency,
      health: [
        { name: "store", check: () => store.ping() },
        { name: "bus", check: () => bus.ping() },
      ],
    });
    // Stopped before the providers: a catch-up reads through their clients.
    closers.unshift({ name: "catch-up", close: () => reconcile.stop() });
    await registerChannels(app, {
      endpoints,
      service,
      webhook,
      store,
      bus,
      logger,
      copilot,
      links,
      options,
      apiSecrets: sessionApiSecrets(config.endpoints),
      config,
    });
    for (const provider of providers.values()) {
      await provider.start({
        onEvent: async (event) => {
          logProviderEvent(logger, event);
          await handovers.onProviderEvent(event);
          await options.onProviderEvent?.(event);
        },
        onGap: (gap) => {
          // Out of step first: the conversation's next event then waits for its catch-up (outOfStep
          // logs its own failures and never rejects).
          handovers.reconcile.outOfStep(provider.id, gap.conversationId).catch(() => undefined);
          reconcile.gap(provider.id, gap);
        },
      });
    }
    outbox.start(combineOutboxWork(handovers.outbox, webhook.outbox));
    timers.start();
    eventLog.start();
    const port = options.port ?? config.server.port;
    await app.listen({ port, host });
    const url = listeningUrl(app, host);
    // After the receivers re-handed their pending events and webhooks flow again: the session lock and the
    // message keys make a webhook and the catch-up of one conversation safe in either order.
    reconcile.start();
    logger.info(
      {
        url,
        publicUrl: publicUrl(),
        store: store.dialect,
        providers: [...providers.keys()],
        endpoints: [...endpoints.values()].map((e) => ({ id: e.id, channel: e.channel })),
      },
      "gateway listening",
    );
    // Operators need each endpoint's URLs (they carry its token) to wire up clients and bots.
    for (const endpoint of endpoints.values()) {
      logger.info(
        { endpoint: endpoint.id, channel: endpoint.channel, ...endpointUrls(publicUrl(), endpoint) },
        "endpoint ready",
      );
    }
    return {
      url,
      publicUrl: publicUrl(),
      app,
      store,
      bus,
      instanceId: instance.id,
      providers,
      endpoints,
      conversations: service,
      copilot,
      reconcile,
      eventLog,
      logger,
      close: once(() => runAll(closers, logger)),
    };
  } catch (error) {
    await runAll(closers, logger);
    throw error;
  }
}

/** One step of shutting down; its name goes into the log when it fails. */
interface Closer {
  readonly name: string;
  close(): Promise<void>;
}

/** The user-facing channels and pages, mounted onto the server once the services exist. */
async function registerChannels(
  app: HttpServer,
  parts: {
    readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
    readonly service: ConversationService;
    readonly webhook: WebhookChannel;
    readonly store: Store;
    readonly bus: Bus;
    readonly logger: Logger;
    readonly copilot: CopilotRunner;
    readonly links: CopilotLinks;
    readonly options: GatewayOptions;
    /** Per endpoint id, the secrets that open inject/notify (none: both are refused). */
    readonly apiSecrets: ReadonlyMap<string, readonly string[]>;
    readonly config: BatonConfig;
  },
): Promise<void> {
  const { endpoints, service, webhook, store, bus, logger, copilot, links, options, apiSecrets, config } =
    parts;
  // One count of new sessions per address for the web chat and the REST channel.
  const sessions = createSessionAdmission({ store, perMinute: config.server.limits.sessionsPerMinute });
  await registerWebchatChannel(app, {
    endpoints,
    conversations: service,
    store,
    bus,
    logger,
    sessions,
    framesPerMinute: config.server.limits.webchatFramesPerMinute,
    ...options.webchat,
  });
  registerRestChannel(app, { endpoints, conversations: service, apiSecrets, sessions });
  webhook.register(app, service);
  await registerWebchatPage(app, endpoints, {
    frameAncestors: config.webchat.frameAncestors,
    // Agents' attachments come from the provider's hosts; a plain-http one (the simulator) is named here.
    imageOrigins: [...new Set(Object.values(config.providers).map((p) => new URL(p.baseUrl).origin))].filter(
      (origin) => origin.startsWith("http:"),
    ),
  });
  // One check and one refusal count for the page and the socket.
  const access = createCopilotAccess({
    endpoints,
    store,
    links,
    logger,
    ...(options.copilot?.maxFailuresPerMinute === undefined
      ? {}
      : { maxFailuresPerMinute: options.copilot.maxFailuresPerMinute }),
  });
  await registerCopilotChannel(app, { bus, runner: copilot, access, logger });
  await registerCopilotPage(app, access, options.copilot?.dist, {
    frameAncestors: config.copilot.frameAncestors,
    iframeOrigins: config.copilot.iframeOrigins,
  });
}

/** One structured log line per provider event (the ids, never the content). */
function logProviderEvent(logger: Logger, event: ProviderEvent): void {
  logger.info(
    {
      provider: event.providerId,
      kind: event.kind,
      conversationId: event.conversationId,
      eventId: event.eventId,
    },
    "provider event",
  );
}

function endpointUrls(publicUrl: string, endpoint: EndpointRuntime): Record<string, string> {
  const base = `${publicUrl}/endpoints/${endpoint.urlToken}`;
  switch (endpoint.channel) {
    case "webchat":
      return { page: `${publicUrl}/?endpoint=${endpoint.id}`, socket: `${base.replace(/^http/, "ws")}/ws` };
    case "rest":
    case "webhook":
    case "8x8":
      return {
        rest: base,
        inject: `${publicUrl}/inject/${endpoint.urlToken}`,
        notify: `${publicUrl}/notify/${endpoint.urlToken}`,
      };
  }
}

function listeningPort(app: HttpServer): number {
  const address = app.server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

function listeningUrl(app: HttpServer, host: string): string {
  const port = listeningPort(app);
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
}

/** Runs every step, first to last; a failing step is logged and the rest still run (nothing left open). */
async function runAll(steps: readonly Closer[], logger: Logger): Promise<void> {
  for (const step of steps) {
    try {
      await step.close();
    } catch (error) {
      logger.error({ err: error, step: step.name }, "shutdown step failed; continuing");
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
