import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { BatonError } from "../errors/index.ts";
import type { HandoverProvider } from "../providers/port.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Metrics } from "../telemetry/metrics.ts";
import { installErrorHandling, sendError } from "./error-handler.ts";
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
  /** `server.trustProxy`: whether (and which) proxies' `X-Forwarded-For` gives `request.ip`. */
  readonly trustProxy?: boolean | number | readonly string[];
  /** Calls per client address and minute of each route marked `config: { tokenRoute: true }`. */
  readonly tokenRoutesPerMinute?: number;
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
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
    // URL tokens are 64 characters and ids stay far below this; a longer path segment is refused below.
    routerOptions: { maxParamLength: 256 },
    // Errors the router raises before any route runs (a malformed percent-escape, an overlong path segment)
    // get catalog codes like every other refusal.
    frameworkErrors: (error, _request, reply) => {
      void sendError(
        reply,
        new BatonError("BATON_ERR_HTTP_BAD_REQUEST", { field: "(url)", reason: error.code }),
      );
    },
  });
  installErrorHandling(app);
  await registerSecurityHeaders(app);
  await registerTokenRouteLimit(app, deps.tokenRoutesPerMinute ?? 1200);
  installJsonBodyParser(app);
  registerHealthRoutes(app, deps.readiness);
  registerMetricsRoute(app, deps.metrics);
  await registerProviderWebhooks(app, deps.providers);
  for (const mount of deps.mount ?? []) await mount(app);
  return app;
}

/**
 * Fastify's form of `server.trustProxy`. A hop count becomes the function Fastify itself builds from one
 * (its types take no number): trust the `hops` nearest addresses in `X-Forwarded-For`.
 */
function fastifyTrustProxy(
  setting: boolean | number | readonly string[],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === "number") return (_address, hop) => hop < setting;
  return typeof setting === "boolean" ? setting : [...setting];
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** A route opened by an endpoint's URL token (REST, inject, notify, bot API): limited per address. */
    tokenRoute?: boolean;
  }
}

/**
 * Headers for every answer: `nosniff`, `no-referrer`, no framing, and for JSON answers a CSP that allows
 * nothing (an answer opened as a page runs nothing), no HSTS. The pages set their own CSP and frame-ancestors
 * (webchat/page.ts, copilot/page.ts); there is no `upgrade-insecure-requests`, since a gateway reached over
 * plain http (a test, a private network) would break its own pages with it.
 */
async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    // HSTS belongs to whoever terminates TLS for the domain: with includeSubDomains from here it would
    // also bind the operator's other hosts.
    strictTransportSecurity: false,
  });
}

/**
 * Token routes are limited per client address (`request.ip`, so `server.trustProxy` decides who that is) and
 * route in a minute. A route says it is one with `config: { tokenRoute: true }`; this hook, added before the
 * plugin's own, turns that into the plugin's setting, so the number lives here alone.
 */
async function registerTokenRouteLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  app.addHook("onRoute", (route) => {
    if (route.config?.tokenRoute !== true) return;
    route.config = { ...route.config, rateLimit: { max: perMinute, timeWindow: 60_000 } };
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => new BatonError("BATON_ERR_HTTP_RATE_LIMITED"),
  });
}

export type { ReadinessCheck } from "./routes/health.ts";
