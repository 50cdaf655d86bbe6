import { Redis } from "ioredis";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { createRedisBus } from "../../src/bus/redis.ts";
import { startPresenceHolder } from "../factories/presence-holder.ts";
import { waitFor } from "../factories/wait-for.ts";
import { redisUrl, uniqueSchema } from "./service-urls.ts";

/** Two bus instances on one Redis under a fresh prefix, closed when the test ends. */
async function twoInstances(presenceTtlMs?: number) {
  const prefix = `${uniqueSchema("baton")}:`;
  const options = { prefix, ...(presenceTtlMs === undefined ? {} : { presenceTtlMs }) };
  const a = await createRedisBus(redisUrl, options);
  const b = await createRedisBus(redisUrl, options);
  onTestFinished(async () => {
    await a.close();
    await b.close();
  });
  return { prefix, a, b };
}

const raw = new Redis(redisUrl, { lazyConnect: true });
afterAll(() => raw.quit());

/** Redis's clock, which the presence scripts go by, in ms. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = await raw.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** The latest expiry among the entries of `key` (stored as "<count>:<expires at ms>" per instance). */
async function entryExpiry(prefix: string, key: string): Promise<number> {
  const entries = Object.values(await raw.hgetall(`${prefix}presence:${key}`));
  return Math.max(...entries.map((value) => Number(value.split(":")[1])));
}

describe("Redis presence across instances", () => {
  it("sums the connections every instance counts, and one instance's mark is seen and cleared by the other", async () => {
    const { a, b } = await twoInstances();
    await a.presence.join("session-1");
    await b.presence.join("session-1");
    await b.presence.join("session-1");
    expect(await a.presence.count("session-1")).toBe(3);
    expect(await a.presence.leave("session-1")).toBe(2);
    expect(await b.presence.leave("session-1")).toBe(1);
    expect(await a.presence.markAwayIfAbsent("session-1")).toBe(false);
    expect(await b.presence.leave("session-1")).toBe(0);

    expect(await a.presence.markAwayIfAbsent("session-1")).toBe(true);
    expect(await b.presence.markAwayIfAbsent("session-1")).toBe(false);
    expect(await b.presence.join("session-1")).toEqual({ wasAway: true });
    expect(await a.presence.join("session-1")).toEqual({ wasAway: false });
  });

  it("takes a closed instance's connections out at once", async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    const leaving = await createRedisBus(redisUrl, { prefix });
    const staying = await createRedisBus(redisUrl, { prefix });
    onTestFinished(() => staying.close());
    await leaving.presence.join("session-2");
    await staying.presence.join("session-2");
    expect(await staying.presence.count("session-2")).toBe(2);
    await leaving.close();
    expect(await staying.presence.count("session-2")).toBe(1);
  });

  it("stops counting a killed instance's connections once its entry expires; a live instance's stay", async () => {
    const ttlMs = 1_500;
    const { prefix, a } = await twoInstances(ttlMs);
    const dead = await startPresenceHolder({ redisUrl, prefix, key: "session-3", presenceTtlMs: ttlMs });
    await a.presence.join("session-3");
    expect(await a.presence.count("session-3")).toBe(2);

    await dead.kill();
    const killedAt = Date.now();
    await waitFor(
      async () => (await a.presence.count("session-3")) === 1,
      10_000,
      "the dead entry to expire",
    );
    // It counted until its TTL ran out (it was refreshed a third of the TTL before at most), not forever.
    expect(Date.now() - killedAt).toBeLessThan(ttlMs + 2_000);

    // The live instance refreshes its own entry: once Redis's clock is past the expiry it was first written
    // with, it still counts.
    const firstExpiry = await entryExpiry(prefix, "session-3");
    await waitFor(async () => (await redisNow()) > firstExpiry + 100, 10_000, "the first expiry to pass");
    expect(await a.presence.count("session-3")).toBe(1);
    expect(await a.presence.leave("session-3")).toBe(0);
    expect(await a.presence.markAwayIfAbsent("session-3")).toBe(true);
  });
});
