import pg from "pg";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { validateConfig } from "../../src/config/index.ts";
import { isBatonError } from "../../src/errors/index.ts";
import { createGateway, type Gateway } from "../../src/index.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { postgresUrl, redisUrl, uniqueSchema } from "./service-urls.ts";

const schemas: string[] = [];

afterAll(async () => {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

/** A fresh schema of the services PostgreSQL: one shared store for the gateways of one test. */
function sharedStore(): string {
  const schema = uniqueSchema("baton_bus_check");
  schemas.push(schema);
  const url = new URL(postgresUrl);
  url.searchParams.set("schema", schema);
  return url.toString();
}

/** A gateway with nothing but a store and a bus, on a free port; closed when the test ends. */
async function gateway(store: string, bus: string): Promise<Gateway> {
  const config = validateConfig({ server: { port: 0, host: "127.0.0.1" }, store, bus });
  if (!config.ok) throw new Error(JSON.stringify(config.issues));
  const started = await createGateway(config, {
    logger: createSilentLogger(),
    instance: { beatIntervalMs: 200, staleAfterMs: 2_000 },
  });
  onTestFinished(() => started.close());
  return started;
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBatonError(error)) throw new Error(`expected a BatonError, got ${String(error)}`);
  return error;
}

describe("bus: memory on a shared PostgreSQL store", () => {
  it("refuses a memory-bus gateway beside a live one, naming it, and leaves the running one alone", async () => {
    const store = sharedStore();
    const first = await gateway(store, redisUrl);
    const error = await refusal(gateway(store, "memory"));
    expect(error.code).toBe("BATON_ERR_BUS_MEMORY_SHARED_STORE");
    expect(error.details).toMatchObject({
      field: "bus",
      others: [{ id: first.instanceId, pid: process.pid, bus: "redis" }],
    });
    expect(error.message).toMatch(/configure `bus: redis:\/\/…` on every instance/);
    const instances = await first.store.instances.list();
    expect(instances.map((i) => i.id)).toEqual([first.instanceId]);
    const health = await fetch(`${first.url}/readyz`);
    expect(health.status).toBe(200);
  });

  it("refuses a second gateway when the running one uses the memory bus", async () => {
    const store = sharedStore();
    await gateway(store, "memory");
    const error = await refusal(gateway(store, redisUrl));
    expect(error.code).toBe("BATON_ERR_BUS_MEMORY_SHARED_STORE");
    expect(error.details).toMatchObject({ bus: "redis", others: [{ bus: "memory" }] });
  });

  it("runs two gateways that both use Redis, and a memory-bus one once the other has closed", async () => {
    const store = sharedStore();
    const first = await gateway(store, redisUrl);
    const second = await gateway(store, redisUrl);
    expect((await first.store.instances.list()).map((i) => i.id).sort()).toEqual(
      [first.instanceId, second.instanceId].sort(),
    );
    await first.close();
    await second.close();
    const alone = await gateway(store, "memory");
    expect((await alone.store.instances.list()).map((i) => i.id)).toEqual([alone.instanceId]);
  });
});
