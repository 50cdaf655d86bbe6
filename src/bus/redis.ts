import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { Bus, BusHandler } from "./types.ts";

export interface RedisBusOptions {
  /** Key and channel prefix, so several Baton installations can share one Redis. Default `baton:`. */
  readonly prefix?: string;
  /** How long a lock lives without renewal; renewed every third of it while held. Default 10 s. */
  readonly lockTtlMs?: number;
  /** Give up waiting for a lock after this long. Default 30 s. */
  readonly lockWaitMs?: number;
}

/** Deletes or extends the lock only when it still holds our token (another holder may own it after expiry). */
const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const extendScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

/**
 * The scale-out bus: Redis pub/sub for messages, `SET NX PX` locks (renewed while held) so one instance at a
 * time acts on a conversation. Within one instance lock holders of a key also queue locally, so arrival
 * order is kept there and Redis is asked once per holder.
 *
 * @example
 * const bus = await createRedisBus("redis://127.0.0.1:6379");
 */
export async function createRedisBus(url: string, options: RedisBusOptions = {}): Promise<Bus> {
  const prefix = options.prefix ?? "baton:";
  const lockTtlMs = options.lockTtlMs ?? 10_000;
  const lockWaitMs = options.lockWaitMs ?? 30_000;
  const commands = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await Promise.all([commands.connect(), subscriber.connect()]);

  const handlers = new Map<string, Set<BusHandler>>();
  const localTails = new Map<string, Promise<void>>();
  subscriber.on("message", (channel: string, text: string) => {
    const topic = channel.slice(prefix.length);
    for (const handler of handlers.get(topic) ?? []) handler(JSON.parse(text) as unknown);
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
    const renew = setInterval(() => {
      void commands.eval(extendScript, 1, lockKey, token, String(lockTtlMs)).catch(() => undefined);
    }, lockTtlMs / 3);
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await commands.eval(releaseScript, 1, lockKey, token).catch(() => undefined);
    }
  }

  return {
    async publish(topic, message) {
      await commands.publish(`${prefix}${topic}`, JSON.stringify(message));
    },
    async subscribe(topic, handler) {
      let set = handlers.get(topic);
      if (set === undefined) {
        set = new Set();
        handlers.set(topic, set);
        await subscriber.subscribe(`${prefix}${topic}`);
      }
      set.add(handler);
      return async () => {
        const current = handlers.get(topic);
        current?.delete(handler);
        if (current?.size === 0) {
          handlers.delete(topic);
          await subscriber.unsubscribe(`${prefix}${topic}`);
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
      await commands.ping();
    },
    async close() {
      handlers.clear();
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
    },
  };
}
