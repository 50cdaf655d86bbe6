import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createRedisBus } from "../../src/bus/redis.ts";
import type { Bus } from "../../src/bus/types.ts";
import { runBusContract } from "../contracts/bus-contract.ts";
import { startFreezableTcpProxy } from "../factories/freezable-tcp-proxy.ts";
import { waitFor } from "../factories/wait-for.ts";
import { redisUrl, uniqueSchema } from "./service-urls.ts";

const prefixes = new WeakMap<Bus, string>();

/** Kills the one connection of the shared Redis named `name` (the bus names its two connections). */
async function killConnection(name: string): Promise<void> {
  const admin = new Redis(redisUrl);
  try {
    const clients = String(await admin.client("LIST")).split("\n");
    const line = clients.find((client) => client.includes(` name=${name} `));
    const id = line?.match(/^id=(\d+)/)?.[1];
    if (id === undefined) throw new Error(`no Redis connection named ${name}`);
    await admin.client("KILL", "ID", id);
  } finally {
    admin.disconnect();
  }
}

runBusContract(
  "Redis",
  async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    const bus = await createRedisBus(redisUrl, { prefix });
    prefixes.set(bus, prefix);
    return bus;
  },
  { dropSubscriber: (bus) => killConnection(`${prefixes.get(bus)}subscriber`) },
);

describe("Redis bus across instances", () => {
  it("delivers between two instances and lets only one hold a key at a time", async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    const a = await createRedisBus(redisUrl, { prefix });
    const b = await createRedisBus(redisUrl, { prefix });
    try {
      const seen: unknown[] = [];
      await b.subscribe("topic", (m) => seen.push(m));
      await a.publish("topic", { from: "a" });
      await expect.poll(() => seen).toEqual([{ from: "a" }]);

      let inside = 0;
      let maxInside = 0;
      const hold = (bus: typeof a) =>
        bus.withLock("conversation-1", async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside -= 1;
        });
      await Promise.all([hold(a), hold(b), hold(a), hold(b)]);
      expect(maxInside).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("Redis bus fencing tokens", () => {
  it("rises across instances in the order they held the lock", async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    const a = await createRedisBus(redisUrl, { prefix });
    const b = await createRedisBus(redisUrl, { prefix });
    try {
      const tokens: number[] = [];
      const hold = (bus: typeof a) =>
        bus.withLock("conversation-1", async (lock) => {
          tokens.push(lock.token);
          await new Promise((resolve) => setTimeout(resolve, 2));
        });
      await Promise.all([hold(a), hold(b), hold(a), hold(b), hold(a), hold(b)]);
      expect(tokens).toHaveLength(6);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("keeps rising when Redis forgot the counter (flushed, failed over to a replica that lagged)", async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    const bus = await createRedisBus(redisUrl, { prefix });
    const redis = new Redis(redisUrl);
    try {
      const before = await bus.withLock("k", (lock) => Promise.resolve(lock.token));
      expect(await redis.exists(`${prefix}fence:k`)).toBe(1);
      expect(await redis.pttl(`${prefix}fence:k`)).toBeGreaterThan(0);
      await redis.del(`${prefix}fence:k`);
      const after = await bus.withLock("k", (lock) => Promise.resolve(lock.token));
      expect(after).toBeGreaterThan(before);
      // The token starts from Redis's clock in microseconds, which is what keeps it above the old ones.
      const [seconds] = await redis.time();
      expect(after).toBeGreaterThan((Number(seconds) - 60) * 1_000_000);
      expect(Number.isSafeInteger(after)).toBe(true);
    } finally {
      redis.disconnect();
      await bus.close();
    }
  });
});

describe("Redis bus missed-message notices", () => {
  it("are told on every instance once the instance whose publish failed reaches Redis again", async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    // The publisher reaches Redis through a proxy that stops passing bytes, as a partition would; its
    // commands then time out while the other instance's connections stay fine.
    const proxy = await startFreezableTcpProxy(redisUrl);
    const publisher = await createRedisBus(proxy.url, { prefix, commandTimeoutMs: 300 });
    const other = await createRedisBus(redisUrl, { prefix });
    try {
      let missed = 0;
      let missedElsewhere = 0;
      await other.subscribe("session:1", () => {}, { onMissed: () => (missed += 1) });
      await other.subscribe("session:2", () => {}, { onMissed: () => (missedElsewhere += 1) });
      proxy.freeze();
      await expect(publisher.publish("session:1", { n: 1 })).rejects.toThrow();
      expect(missed).toBe(0);
      proxy.thaw();
      await waitFor(() => missed > 0, 10_000, "the subscriber of the failed topic told");
      expect(missedElsewhere).toBe(0);
    } finally {
      await publisher.close();
      await other.close();
      await proxy.close();
    }
  });

  it("refuse the topic reserved for the notices", async () => {
    const bus = await createRedisBus(redisUrl, { prefix: `${uniqueSchema("baton")}:` });
    try {
      await expect(bus.publish("bus:missed", {})).rejects.toThrow(/reserved/);
      await expect(bus.subscribe("bus:missed", () => {})).rejects.toThrow(/reserved/);
    } finally {
      await bus.close();
    }
  });
});
