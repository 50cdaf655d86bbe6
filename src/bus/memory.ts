import { createMemoryPresence } from "./presence-memory.ts";
import type { Bus, BusHandler } from "./types.ts";

/**
 * The last fencing token handed out, shared by every memory bus of the process (tests run several on one
 * store). Tokens start from the clock in microseconds, so a restarted process continues above the tokens
 * its previous run left in the store.
 */
let lastFencingToken = 0;

function nextFencingToken(): number {
  lastFencingToken = Math.max(lastFencingToken + 1, Date.now() * 1000);
  return lastFencingToken;
}

/**
 * The in-process bus of the embedded default. Messages are cloned through JSON so a subscriber can never
 * mutate what the publisher holds (the Redis bus serialises too; both behave alike). A publish reaches every
 * subscriber before it resolves and cannot be lost, so a subscription's `onMissed` is never called.
 *
 * @example
 * const bus = createMemoryBus();
 * await bus.subscribe("session:1", (m) => console.log(m));
 * await bus.withLock("session:1", async (lock) => bus.publish("session:1", { hello: true, token: lock.token }));
 */
export function createMemoryBus(): Bus {
  const topics = new Map<string, Set<BusHandler>>();
  const lockTails = new Map<string, Promise<void>>();
  let closed = false;

  return {
    publish(topic, message) {
      const handlers = topics.get(topic);
      if (handlers === undefined || handlers.size === 0) return Promise.resolve();
      const text = JSON.stringify(message);
      for (const handler of [...handlers]) handler(JSON.parse(text) as unknown);
      return Promise.resolve();
    },
    subscribe(topic, handler) {
      let handlers = topics.get(topic);
      if (handlers === undefined) {
        handlers = new Set();
        topics.set(topic, handlers);
      }
      handlers.add(handler);
      return Promise.resolve(() => {
        const current = topics.get(topic);
        current?.delete(handler);
        if (current?.size === 0) topics.delete(topic);
        return Promise.resolve();
      });
    },
    async withLock(key, fn) {
      // A promise chain per key: each holder waits for the previous one, whatever its outcome.
      const previous = lockTails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const tail = new Promise<void>((resolve) => (release = resolve));
      lockTails.set(key, tail);
      await previous;
      try {
        return await fn({ key, token: nextFencingToken() });
      } finally {
        release();
        if (lockTails.get(key) === tail) lockTails.delete(key);
      }
    },
    presence: createMemoryPresence(),
    ping() {
      return closed ? Promise.reject(new Error("bus closed")) : Promise.resolve();
    },
    close() {
      closed = true;
      topics.clear();
      return Promise.resolve();
    },
  };
}
