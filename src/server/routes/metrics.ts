import type { FastifyInstance } from "fastify";
import type { Metrics } from "../../telemetry/metrics.ts";

/** Prometheus scrape endpoint. */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get("/metrics", async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.render()),
  );
}
