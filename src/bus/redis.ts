import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createSilentLogger, type Logger } from "../telemetry/logger.ts";
import type { Bus, BusHandler } from "./types.ts";

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
}

/** Deletes or extends the lock only when it still holds our token (another holder may own it after expiry). */
const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const extendScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

interface Subscription {
  readonly handlers: Set<BusHandler>;
  /** The SUBSCRIBE of this entry; later subscribers of the topic wait for it too. */
  readonly active: Promise<void>;
}

/**
 * The scale-out bus: Redis pub/sub for messages, `SET NX PX` locks (renewed while held) so one instance at a
 * time acts on a conversation. Within one instance lock holders of a key also queue locally, so arrival
 * order is kept there and Redis is asked once per holder.
 *
 * While Redis is unreachable ioredis keeps reconnecting; commands wait in its offline queue and fail after
 * a few reconnect attempts (or `commandTimeoutMs`), so callers see a rejection, never a hang.
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
  const commands = new Redis(url, clientOptions);
  const subscriber = new Redis(url, clientOptions);
  watchConnection(commands, "commands", logger);
  watchConnection(subscriber, "subscriber", logger);
  try {
    await Promise.all([commands.connect(), subscriber.connect()]);
  } catch (error) {
    // Otherwise the client that did connect, or the one still retrying, would keep the process alive.
    commands.disconnect();
    subscriber.disconnect();
    throw error;
  }

  const topics = new Map<string, Subscription>();
  const localTails = new Map<string, Promise<void>>();
  /** Channels whose UNSUBSCRIBE failed: ioredis resubscribes them on reconnect, so they are dropped then. */
  const orphaned = new Set<string>();
  const channelOf = (topic: string) => `${prefix}${topic}`;

  subscriber.on("message", (channel: string, text: string) => {
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
    for (const handler of [...subscription.handlers]) {
      try {
        handler(message);
      } catch (error) {
        logger.error({ err: error, topic }, "bus handler failed");
      }
    }
  });
  subscriber.on("ready", () => {
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

  async function acquire(lockKey: string, token: string): Promise<void> {
    const deadline = Date.now() + lockWaitMs;
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      if ((await commands.set(lockKey, token, "PX", lockTtlMs, "NX")) === "OK") return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockKey}`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async function holdDistributed<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = `${prefix}lock:${key}`;
    const token = randomBytes(16).toString("hex");
    await acquire(lockKey, token);
    let lost = false;
    const renew = setInterval(() => {
      // A timer callback: nothing awaits this, so every outcome is handled here. A missed renewal is not
      // fatal by itself (the next one may succeed before the TTL runs out), but it is worth a warning.
      commands.eval(extendScript, 1, lockKey, token, String(lockTtlMs)).then(
        (extended) => {
          if (extended !== 0 || lost) return;
          lost = true;
          logger.warn({ key }, "bus lock expired while held; another instance may act");
        },
        (error: unknown) => logger.warn({ err: error, key }, "bus lock could not be renewed"),
      );
    }, lockTtlMs / 3);
    try {
      return await fn();
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
      await commands.publish(channelOf(topic), JSON.stringify(message));
    },
    async subscribe(topic, handler) {
      let subscription = topics.get(topic);
      if (subscription === undefined) {
        const created: Subscription = {
          handlers: new Set(),
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
      current.handlers.add(handler);
      try {
        await current.active;
      } catch (error) {
        current.handlers.delete(handler);
        throw error;
      }
      let ended = false;
      return async () => {
        if (ended) return;
        ended = true;
        current.handlers.delete(handler);
        if (current.handlers.size > 0 || topics.get(topic) !== current) return;
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
      topics.clear();
      orphaned.clear();
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      // QUIT cannot reach a Redis that is down; this also stops the reconnect attempts.
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Handles the 'error' events of one ioredis client: ioredis repeats them on every reconnect attempt, so an
 * outage is logged once at error level (and again if the error changes), the repeats at debug, and the
 * recovery at info.
 */
function watchConnection(client: Redis, role: "commands" | "subscriber", logger: Logger): void {
  let lastReported: string | undefined;
  client.on("error", (error: Error) => {
    const signature = `${error.name}: ${error.message}`;
    if (signature === lastReported) {
      logger.debug({ err: error, role }, "redis still unreachable");
      return;
    }
    lastReported = signature;
    logger.error({ err: error, role }, "redis connection error; reconnecting");
  });
  client.on("ready", () => {
    if (lastReported === undefined) return;
    lastReported = undefined;
    logger.info({ role }, "redis connection restored");
  });
}
