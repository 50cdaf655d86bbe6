import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { HandoverProvider } from "../providers/port.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { installErrorHandling } from "./error-handler.ts";
import { installJsonBodyParser } from "./json-body.ts";
import { registerProviderWebhooks } from "./routes/provider-webhooks.ts";
import { registerHealthRoutes, type ReadinessCheck } from "./routes/health.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";

export interface ServerDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  readonly readiness: readonly ReadinessCheck[];
  readonly bodyLimit: number;
  /** Channel routes and pages, mounted after the core routes (web chat, REST, inject/notify). */
  readonly mount?: readonly ((app: FastifyInstance) => Promise<void> | void)[];
}

/**
 * Builds the HTTP server around the core. This folder is the only one that knows Fastify; it translates
 * requests into plain calls and BatonErrors into HTTP answers.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  // Typed as Fastify's base logger so the instance is the default FastifyInstance that plugins expect.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  installErrorHandling(app);
  installJsonBodyParser(app);
  registerHealthRoutes(app, deps.readiness);
  registerMetricsRoute(app, deps.metrics);
  await registerProviderWebhooks(app, deps.providers);
  for (const mount of deps.mount ?? []) await mount(app);
  return app;
}

export type { ReadinessCheck } from "./routes/health.ts";
