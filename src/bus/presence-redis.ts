import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../telemetry/logger.ts";
import type { BusPresence } from "./types.ts";

export interface RedisPresenceOptions {
  /** The bus's key prefix. */
  readonly prefix: string;
  /** How long an instance's entry lives without a refresh (it is refreshed every third of it). */
  readonly ttlMs: number;
  /** How long the away mark is kept; a user back after that is not announced. */
  readonly awayTtlMs: number;
  readonly logger: Logger;
}

export interface RedisPresence extends BusPresence {
  /** Takes this instance's connections out at once (a clean shutdown) instead of letting them expire. */
  close(): Promise<void>;
}

/*
 * One hash per key: field = instance id, value = "<connections>:<expires at, ms>". Every script reads the
 * clock of Redis (TIME), not the instances', so clock skew between instances changes nothing. An entry past
 * its expiry is an instance that stopped refreshing (it died): it is dropped wherever it is read.
 */
const prelude = `
local function now_ms()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function live_total(key, now)
  local total = 0
  local entries = redis.call("HGETALL", key)
  for i = 1, #entries, 2 do
    local n, expires = string.match(entries[i + 1], "^(%d+):(%d+)$")
    if n == nil or tonumber(expires) <= now then
      redis.call("HDEL", key, entries[i])
    else
      total = total + tonumber(n)
    end
  end
  return total
end
local function put(key, instance, count, now, ttl)
  if count > 0 then
    redis.call("HSET", key, instance, string.format("%d:%d", count, now + ttl))
    if redis.call("PTTL", key) < ttl then redis.call("PEXPIRE", key, ttl) end
  else
    redis.call("HDEL", key, instance)
  end
end
`;

/** KEYS: entries, away mark. ARGV: instance, count, ttl, "join" (clears the mark) or "set". → {total, wasAway}. */
const setScript = `${prelude}
local now = now_ms()
put(KEYS[1], ARGV[1], tonumber(ARGV[2]), now, tonumber(ARGV[3]))
local was_away = 0
if ARGV[4] == "join" then was_away = redis.call("DEL", KEYS[2]) end
return {live_total(KEYS[1], now), was_away}`;

/** KEYS: every entries hash this instance counts in. ARGV: instance, ttl, then one count per key. */
const refreshScript = `${prelude}
local now = now_ms()
for i, key in ipairs(KEYS) do put(key, ARGV[1], tonumber(ARGV[i + 2]), now, tonumber(ARGV[2])) end
return #KEYS`;

/** KEYS: entries. → the live total. */
const countScript = `${prelude}
return live_total(KEYS[1], now_ms())`;

/** KEYS: entries, away mark. ARGV: the mark's ttl. → 1 when this call set the mark. */
const markAwayScript = `${prelude}
if live_total(KEYS[1], now_ms()) > 0 then return 0 end
if redis.call("SET", KEYS[2], "1", "NX", "PX", ARGV[1]) then return 1 end
return 0`;

/** Keys per refresh call, so one call never carries an unbounded argument list. */
const refreshBatch = 500;

/**
 * Presence over Redis: this instance's own connection counts are kept here and written to Redis as the
 * absolute number (so a write that failed is repaired by the next one), and refreshed every third of the
 * TTL. When the instance dies, its entries expire after at most `ttlMs` and stop counting.
 */
export function createRedisPresence(commands: Redis, options: RedisPresenceOptions): RedisPresence {
  const { prefix, ttlMs, logger } = options;
  const instance = randomBytes(8).toString("hex");
  const local = new Map<string, number>();
  const entriesKey = (key: string) => `${prefix}presence:${key}`;
  const awayKey = (key: string) => `${prefix}presence-away:${key}`;

  async function write(key: string, mode: "join" | "set"): Promise<[number, number]> {
    const reply = await commands.eval(
      setScript,
      2,
      entriesKey(key),
      awayKey(key),
      instance,
      String(local.get(key) ?? 0),
      String(ttlMs),
      mode,
    );
    return reply as [number, number];
  }

  async function refresh(): Promise<void> {
    const held = [...local.entries()];
    for (let i = 0; i < held.length; i += refreshBatch) {
      const batch = held.slice(i, i + refreshBatch);
      await commands.eval(
        refreshScript,
        batch.length,
        ...batch.map(([key]) => entriesKey(key)),
        instance,
        String(ttlMs),
        ...batch.map(([, count]) => String(count)),
      );
    }
  }

  const refresher = setInterval(() => {
    // A timer callback: nothing awaits it. A missed refresh is repaired by the next one (a third of the TTL
    // later); while Redis is down the connection itself is what gets logged.
    refresh().catch((error: unknown) => logger.debug({ err: error }, "presence not refreshed"));
  }, ttlMs / 3);
  refresher.unref();

  return {
    async join(key) {
      local.set(key, (local.get(key) ?? 0) + 1);
      const [, wasAway] = await write(key, "join");
      return { wasAway: wasAway === 1 };
    },
    async leave(key) {
      const left = (local.get(key) ?? 0) - 1;
      if (left > 0) local.set(key, left);
      else local.delete(key);
      const [total] = await write(key, "set");
      return total;
    },
    async count(key) {
      return (await commands.eval(countScript, 1, entriesKey(key))) as number;
    },
    async markAwayIfAbsent(key) {
      const set = await commands.eval(
        markAwayScript,
        2,
        entriesKey(key),
        awayKey(key),
        String(options.awayTtlMs),
      );
      return set === 1;
    },
    staleAfterMs: ttlMs,
    async close() {
      clearInterval(refresher);
      const held = [...local.keys()];
      local.clear();
      const results = await Promise.allSettled(held.map((key) => write(key, "set")));
      const failed = results.filter((r) => r.status === "rejected").length;
      if (failed > 0) logger.warn({ failed }, "presence entries not removed; they expire by themselves");
    },
  };
}
