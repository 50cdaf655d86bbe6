import type { FastifyInstance } from "fastify";
import { bearerToken, matchesSecret } from "../../utils/bearer.ts";
import { BatonError } from "../../errors/index.ts";
import type { Metrics } from "../../telemetry/metrics.ts";

/**
 * `server.metricsToken` per server. The route is registered by buildServer before the configuration's
 * settings are mounted, so the token is looked up on each scrape rather than captured at registration.
 */
const metricsTokens = new WeakMap<FastifyInstance, string>();

/** Makes `/metrics` on `app` need `authorization: Bearer <token>`; without a token it stays open. */
export function requireMetricsToken(app: FastifyInstance, token: string | undefined): void {
  if (token === undefined) metricsTokens.delete(app);
  else metricsTokens.set(app, token);
}

/**
 * Prometheus scrape endpoint. With `server.metricsToken` a scrape needs it as a bearer token (401
 * BATON_ERR_METRICS_UNAUTHORIZED otherwise, compared in constant time); without one it is open, so a
 * gateway without a token should not expose it publicly.
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get("/metrics", async (request, reply) => {
    const token = metricsTokens.get(app);
    if (token !== undefined && !matchesSecret(bearerToken(request.headers.authorization), [token])) {
      reply.header("www-authenticate", "Bearer");
      throw new BatonError("BATON_ERR_METRICS_UNAUTHORIZED", {
        field: "authorization",
        expected: "Bearer <server.metricsToken>",
      });
    }
    return reply.type(metrics.contentType).send(await metrics.render());
  });
}
