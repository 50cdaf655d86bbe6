import { BatonError } from "../errors/index.ts";
import type { Store } from "../store/types.ts";

/**
 * The one in-process limiter of the channels: counts events per key (a client address, a connection) in a
 * sliding window. Per instance: spread over N instances a client gets N times the limit, which still stops
 * a flood against one instance; a shared counter would put the store or bus on every frame's path.
 */
export function createWindowLimiter(options: { max: number; windowMs: number; clock?: () => number }) {
  const clock = options.clock ?? Date.now;
  const hits = new Map<string, number[]>();

  function recent(key: string): number[] {
    const since = clock() - options.windowMs;
    const kept = (hits.get(key) ?? []).filter((at) => at > since);
    if (kept.length === 0) hits.delete(key);
    else hits.set(key, kept);
    return kept;
  }

  return {
    /** Whether `key` used up its `max` events of the window. */
    blocked: (key: string) => recent(key).length >= options.max,
    /** Counts one event of `key`. */
    hit(key: string): void {
      const kept = recent(key);
      // Only what can still matter is kept: a key over its limit stays blocked with `max` entries.
      if (kept.length >= options.max) kept.shift();
      hits.set(key, [...kept, clock()]);
      // Bounded memory under a scan from many addresses: forget the oldest key.
      if (hits.size > 10_000) hits.delete(hits.keys().next().value!);
    },
    /** Counts an event if `key` is under its limit; false (nothing counted) when it is not. */
    take(key: string): boolean {
      if (recent(key).length >= options.max) return false;
      this.hit(key);
      return true;
    },
  };
}

export type WindowLimiter = ReturnType<typeof createWindowLimiter>;

/**
 * Session creation per client address (`server.limits.sessionsPerMinute`), shared by the web chat's hello
 * and the REST turn. Only a session that does not exist yet counts: a reconnect, a reload or the next turn
 * of a known session always goes through, so the limit stops one client opening thousands of sessions
 * without ever cutting off a conversation that is under way.
 */
export function createSessionAdmission(deps: {
  readonly store: Pick<Store, "sessions">;
  readonly perMinute: number;
  readonly clock?: () => number;
}) {
  const limiter = createWindowLimiter({
    max: deps.perMinute,
    windowMs: 60_000,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  });
  return {
    /** Throws BATON_ERR_SESSION_RATE_LIMITED when `key` is new and `address` opened too many sessions. */
    async admit(address: string, key: SessionKey): Promise<void> {
      if ((await deps.store.sessions.find(key)) !== undefined) return;
      if (!limiter.take(address)) throw new BatonError("BATON_ERR_SESSION_RATE_LIMITED");
    },
  };
}

export type SessionAdmission = ReturnType<typeof createSessionAdmission>;
type SessionKey = Parameters<Store["sessions"]["find"]>[0];
