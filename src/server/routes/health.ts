import type { FastifyInstance } from "fastify";

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (any error) when it does not. */
  check(): Promise<void>;
}

/** `/healthz`: the process is up. `/readyz`: every dependency (store, bus) answers, so traffic may come. */
export function registerHealthRoutes(app: FastifyInstance, checks: readonly ReadinessCheck[]): void {
  app.get("/healthz", () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const results = await Promise.all(checks.map(async (c) => [c.name, await probe(c)] as const));
    const ready = results.every(([, state]) => state === "ok");
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? "ready" : "not_ready", checks: Object.fromEntries(results) });
  });
}

async function probe(check: ReadinessCheck): Promise<"ok" | "unavailable"> {
  try {
    await check.check();
    return "ok";
  } catch {
    return "unavailable";
  }
}
