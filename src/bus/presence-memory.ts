import type { BusPresence } from "./types.ts";

/**
 * Presence of the embedded default: one process, so counting here is counting everywhere, and nothing can
 * outlive its instance.
 */
export function createMemoryPresence(): BusPresence {
  const connections = new Map<string, number>();
  const away = new Set<string>();
  const count = (key: string) => connections.get(key) ?? 0;

  return {
    join(key) {
      connections.set(key, count(key) + 1);
      return Promise.resolve({ wasAway: away.delete(key) });
    },
    leave(key) {
      const left = count(key) - 1;
      if (left > 0) connections.set(key, left);
      else connections.delete(key);
      return Promise.resolve(Math.max(left, 0));
    },
    count(key) {
      return Promise.resolve(count(key));
    },
    markAwayIfAbsent(key) {
      if (count(key) > 0 || away.has(key)) return Promise.resolve(false);
      away.add(key);
      return Promise.resolve(true);
    },
    staleAfterMs: 0,
  };
}
