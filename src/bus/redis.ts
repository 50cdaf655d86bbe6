import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createSilentLogger, type Logger } from "../telemetry/logger.ts";
import { createOutageLog } from "../telemetry/outage-log.ts";
import { createMissedNotices, parseMissedNotice, type MissedTopics } from "./missed-notices-redis.ts";
import { createRedisPresence } from "./presence-redis.ts";
import type { Bus, BusHandler, HeldLock, SubscribeOptions } from "./types.ts";

export interface RedisBusOptions {
  /** Key and channel prefix, so several Baton installations can share one Redis. Default `baton:`. */
  readonly prefix?: string;
  /** How long a lock lives without renewal; renewed every third of it while held. Default 10 s. */
  readonly lockTtlMs?: number;
  /** Give up waiting for a lock after this long. Default 30 s. */
  readonly lockWaitMs?: number;
  /**
   * Receives connection errors and recoveries. Without one they are still handled (never an unhandled
   * 'error' event), just not written anywhere; /readyz shows the bus as unavailable all the same.
   */
  readonly logger?: Logger;
  /**
   * How long one Redis command may take, queued or sent, before it fails. Bounds every call on a connection
   * that is down or hangs. Default 5 s.
   */
  readonly commandTimeoutMs?: number;
  /**
   * How long an instance's presence entries (web chat connections) count without a refresh: a killed
   * instance stops counting after this. Refreshed every third of it. Default 15 s.
   */
  readonly presenceTtlMs?: number;
}

/**
 * Takes the lock and, in the same step, the acquisition's fencing token; 0 when another holder has the lock.
 * KEYS: the lock, its token counter. ARGV: our holder id, the lock's TTL, the counter's TTL (ms).
 *
 * The token is the counter plus one, but never below Redis's clock in microseconds: a counter that is gone
 * (expired, a flushed Redis, a replica promoted before it caught up) restarts above every token handed out
 * before, which only ever counted up from an earlier reading of that clock. That is also why the counter
 * may expire: it is needed only while acquisitions come faster than one per microsecond. TIME's seconds are
 * joined as text because a number this large would be written in exponent notation.
 */
const acquireScript = `
if not redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return 0 end
local now = redis.call("time")
local floor = tonumber(now[1]) * 1000000 + tonumber(now[2])
local token = redis.call("incr", KEYS[2])
if token < floor then
  redis.call("set", KEYS[2], now[1] .. string.format("%06d", tonumber(now[2])))
  token = floor
end
redis.call("pexpire", KEYS[2], ARGV[3])
return token`;

/** How long a key's token counter outlives its last acquisition (see acquireScript). */
const fencingCounterTtlMs = 60 * 60 * 1000;

/** Deletes or extends the lock only when it still holds our id (another holder may own it after expiry). */
const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const extendScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

/** One `subscribe` call: the same handler subscribed twice is two listeners. */
interface Listener {
  readonly handler: BusHandler;
  readonly onMissed: (() => void) | undefined;
}

interface Subscription {
  readonly listeners: Set<Listener>;
  /** The SUBSCRIBE of this entry; later subscribers of the topic wait for it too. */
  readonly active: Promise<void>;
}

/**
 * The scale-out bus: Redis pub/sub for messages, `SET NX PX` locks (renewed while held, each acquisition
 * with a fencing token from a per-key counter taken in the same script) so one instance at a time acts on a
 * conversation. Within one instance lock holders of a key also queue locally, so arrival
 * order is kept there and Redis is asked once per holder.
 *
 * While Redis is unreachable ioredis keeps reconnecting; commands wait in its offline queue and fail after
 * a few reconnect attempts (or `commandTimeoutMs`), so callers see a rejection, never a hang.
 *
 * Pub/sub drops what is published while a subscriber is reconnecting, and what a failed PUBLISH carried, so
 * subscribers are told when that may have happened (`onMissed`): every subscription of this instance once
 * its subscriber connection is subscribed again after a drop, and every subscription of a topic on any
 * instance once the instance whose publish to it failed reaches Redis again (a notice on the reserved
 * channel `<prefix>bus:missed`). The two connections are named `<prefix>commands` and `<prefix>subscriber`
 * (CLIENT LIST shows which is which).
 *
 * @example
 * const bus = await createRedisBus("redis://127.0.0.1:6379", { logger });
 */
export async function createRedisBus(url: string, options: RedisBusOptions = {}): Promise<Bus> {
  const prefix = options.prefix ?? "baton:";
  const lockTtlMs = options.lockTtlMs ?? 10_000;
  const lockWaitMs = options.lockWaitMs ?? 30_000;
  const logger = options.logger ?? createSilentLogger();
  const clientOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    // ioredis backs off up to 5 s between attempts by default; at most 2 s here, so the bus (and /readyz)
    // is back within about 2 s of Redis. A local connection refused costs nothing to retry.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
  };
  const commands = new Redis(url, { ...clientOptions, connectionName: `${prefix}commands` });
  const subscriber = new Redis(url, { ...clientOptions, connectionName: `${prefix}subscriber` });
  watchConnection(commands, "commands", logger);
  watchConnection(subscriber, "subscriber", logger);
  const noticeChannel = `${prefix}${noticeTopic}`;
  try {
    await Promise.all([commands.connect(), subscriber.connect()]);
    await subscriber.subscribe(noticeChannel);
  } catch (error) {
    // Otherwise the client that did connect, or the one still retrying, would keep the process alive.
    commands.disconnect();
    subscriber.disconnect();
    throw error;
  }

  const presence = createRedisPresence(commands, {
    prefix,
    ttlMs: options.presenceTtlMs ?? 15_000,
    // A user away longer than a week is not announced as back (the mark must not stay in Redis for good).
    awayTtlMs: 7 * 24 * 60 * 60 * 1000,
    logger,
  });
  const topics = new Map<string, Subscription>();
  const localTails = new Map<string, Promise<void>>();
  /** Channels whose UNSUBSCRIBE failed: ioredis resubscribes them on reconnect, so they are dropped then. */
  const orphaned = new Set<string>();
  const channelOf = (topic: string) => `${prefix}${topic}`;
  const lockKeyOf = (key: string) => `${prefix}lock:${key}`;
  const notices = createMissedNotices(commands, { channel: noticeChannel, logger });

  /** Calls `onMissed` of every listener of `which` on this instance. */
  function tellMissed(which: MissedTopics): void {
    const subscriptions =
      which === "all" ? [...topics.values()] : which.flatMap((topic) => topics.get(topic) ?? []);
    for (const subscription of subscriptions) {
      for (const listener of [...subscription.listeners]) {
        try {
          listener.onMissed?.();
        } catch (error) {
          logger.error({ err: error }, "bus onMissed handler failed");
        }
      }
    }
  }

  subscriber.on("message", (channel: string, text: string) => {
    if (channel === noticeChannel) {
      const missed = parseMissedNotice(text);
      if (missed === undefined) logger.warn({ channel }, "missed-message notice not understood; ignored");
      else tellMissed(missed);
      return;
    }
    const topic = channel.slice(prefix.length);
    const subscription = topics.get(topic);
    if (subscription === undefined) return;
    let message: unknown;
    try {
      message = JSON.parse(text) as unknown;
    } catch (error) {
      logger.warn({ err: error, topic }, "bus message is not JSON; dropped");
      return;
    }
    // A throw here would unwind into ioredis's socket reader; one bad handler must not break delivery.
    for (const { handler } of [...subscription.listeners]) {
      try {
        handler(message);
      } catch (error) {
        logger.error({ err: error, topic }, "bus handler failed");
      }
    }
  });
  // Set when the subscriber connection drops; what was published until it is subscribed again is lost.
  let subscriberDropped = false;
  subscriber.on("close", () => {
    subscriberDropped = true;
  });
  subscriber.on("ready", () => {
    if (subscriberDropped) {
      subscriberDropped = false;
      // ioredis sent its resubscriptions before 'ready' fired, on this connection: once this SUBSCRIBE is
      // answered they are active, so a subscriber that reads what it missed now misses nothing after.
      subscriber.subscribe(noticeChannel).then(
        () => tellMissed("all"),
        (error: unknown) => {
          logger.debug({ err: error }, "resubscription not confirmed; telling subscribers anyway");
          tellMissed("all");
        },
      );
    }
    for (const channel of orphaned) {
      if (topics.has(channel.slice(prefix.length))) {
        orphaned.delete(channel);
        continue;
      }
      subscriber.unsubscribe(channel).then(
        () => orphaned.delete(channel),
        (error: unknown) => logger.debug({ err: error, channel }, "stale bus subscription not dropped yet"),
      );
    }
  });

  /** Waits for the lock; resolves to the acquisition's fencing token. */
  async function acquire(key: string, holder: string): Promise<number> {
    const deadline = Date.now() + lockWaitMs;
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      const token = Number(
        await commands.eval(
          acquireScript,
          2,
          lockKeyOf(key),
          `${prefix}fence:${key}`,
          holder,
          String(lockTtlMs),
          String(fencingCounterTtlMs),
        ),
      );
      if (token > 0) return token;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockKeyOf(key)}`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async function holdDistributed<T>(key: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    const lockKey = lockKeyOf(key);
    // Who holds the lock (only the holder may extend or delete it); the fencing token orders holders.
    const token = randomBytes(16).toString("hex");
    const fencingToken = await acquire(key, token);
    let lost = false;
    const renew = setInterval(() => {
      // A timer callback: nothing awaits this, so every outcome is handled here. A missed renewal is not
      // fatal by itself (the next one may succeed before the TTL runs out), but it is worth a warning.
      commands.eval(extendScript, 1, lockKey, token, String(lockTtlMs)).then(
        (extended) => {
          if (extended !== 0 || lost) return;
          lost = true;
          logger.warn(
            { key, token: fencingToken },
            "bus lock expired while held; another instance may act, and writes fenced with this token are refused",
          );
        },
        (error: unknown) => logger.warn({ err: error, key }, "bus lock could not be renewed"),
      );
    }, lockTtlMs / 3);
    try {
      return await fn({ key, token: fencingToken });
    } finally {
      clearInterval(renew);
      // Not released, the lock still expires after its TTL; the work itself already finished.
      await commands.eval(releaseScript, 1, lockKey, token).catch((error: unknown) => {
        logger.warn({ err: error, key }, "bus lock could not be released; it expires by itself");
      });
    }
  }

  return {
    async publish(topic, message) {
      refuseReserved(topic);
      try {
        await commands.publish(channelOf(topic), JSON.stringify(message));
      } catch (error) {
        notices.publishFailed(topic);
        throw error;
      }
    },
    async subscribe(topic, handler, subscribeOptions: SubscribeOptions = {}) {
      refuseReserved(topic);
      let subscription = topics.get(topic);
      if (subscription === undefined) {
        const created: Subscription = {
          listeners: new Set(),
          active: subscriber.subscribe(channelOf(topic)).then(() => undefined),
        };
        topics.set(topic, created);
        orphaned.delete(channelOf(topic));
        subscription = created;
        // A failed SUBSCRIBE must not stay behind, or the topic's next subscriber would never ask Redis.
        created.active.catch(() => {
          if (topics.get(topic) === created) topics.delete(topic);
        });
      }
      const current = subscription;
      const listener: Listener = { handler, onMissed: subscribeOptions.onMissed };
      current.listeners.add(listener);
      try {
        await current.active;
      } catch (error) {
        current.listeners.delete(listener);
        throw error;
      }
      let ended = false;
      return async () => {
        if (ended) return;
        ended = true;
        current.listeners.delete(listener);
        if (current.listeners.size > 0 || topics.get(topic) !== current) return;
        topics.delete(topic);
        try {
          await subscriber.unsubscribe(channelOf(topic));
        } catch (error) {
          orphaned.add(channelOf(topic));
          throw error;
        }
      };
    },
    async withLock(key, fn) {
      const previous = localTails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const tail = new Promise<void>((resolve) => (release = resolve));
      localTails.set(key, tail);
      await previous;
      try {
        return await holdDistributed(key, fn);
      } finally {
        release();
        if (localTails.get(key) === tail) localTails.delete(key);
      }
    },
    presence,
    async ping() {
      // Answer at once while reconnecting instead of waiting in the offline queue: /readyz must be quick.
      for (const [role, client] of [
        ["commands", commands],
        ["subscriber", subscriber],
      ] as const) {
        if (client.status !== "ready") throw new Error(`redis ${role} connection is ${client.status}`);
      }
      await commands.ping();
    },
    async close() {
      notices.close();
      await presence.close();
      topics.clear();
      orphaned.clear();
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      // QUIT cannot reach a Redis that is down; this also stops the reconnect attempts.
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

/** The notice channel's topic: a topic of this name would be mistaken for notices. */
const noticeTopic = "bus:missed";

function refuseReserved(topic: string): void {
  if (topic === noticeTopic)
    throw new Error(`the bus topic ${noticeTopic} is reserved for missed-message notices`);
}

/**
 * Handles the 'error' events of one ioredis client: ioredis repeats them on every reconnect attempt, so an
 * outage is logged once at error level (and again if the error changes), the repeats at debug, and the
 * recovery at info.
 */
function watchConnection(client: Redis, role: "commands" | "subscriber", logger: Logger): void {
  const outage = createOutageLog(logger, {
    failed: "redis connection error; reconnecting",
    restored: "redis connection restored",
  });
  client.on("error", (error: Error) => outage.failed(error, { role }));
  client.on("ready", () => outage.succeeded({ role }));
}
