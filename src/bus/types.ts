/**
 * The Bus port: how instances of Baton tell each other things and take turns. The embedded default is one
 * process (memory); scale-out uses Redis. Nothing in the core asks which one it has: scale-out is a second implementation, not an `if`.
 */
export type BusHandler = (message: unknown) => void;

export interface SubscribeOptions {
  /**
   * Called when messages of the topic may have been lost on their way to this subscription. Pub/sub does
   * not keep messages, so the bus never delivers them late: a subscriber that must not miss any reads them
   * again from where they are kept (the store). Redis: once the subscriber connection is back after a drop
   * (the subscription is active again when it is called), and when a publish to the topic failed on any
   * instance (once that instance reaches Redis again). A failed publish may still have been delivered, so
   * the call says "may", never "did". The memory bus loses nothing and never calls it. A throw is logged,
   * never passed on.
   */
  readonly onMissed?: () => void;
}

/** What a lock holder is given by `withLock`. */
export interface HeldLock {
  readonly key: string;
  /**
   * The fencing token of this acquisition: higher than the token of every earlier acquisition of `key`, on
   * any instance and across restarts of the bus. Writes made under the lock carry it and the store keeps the
   * highest one that wrote, so a holder that stalled past its lock's expiry (a GC pause, a blocked event
   * loop, a Redis failover) finds its late writes refused instead of overwriting its successor's.
   *
   * Tokens start from the clock in microseconds and count up from there (never below the last one), so they
   * keep rising when the bus forgets its counters (a restart of the memory bus, a flushed or failed-over
   * Redis), as long as the clock does not go back by more than the time since the last acquisition.
   */
  readonly token: number;
}

export interface Bus {
  /**
   * Delivers `message` (JSON-serialisable) to every subscriber of `topic` on every instance. Rejects when
   * the bus is unreachable (after a bounded wait, never hanging).
   */
  publish(topic: string, message: unknown): Promise<void>;
  /**
   * Resolves once the subscription is active; the returned function ends it. That function can reject too
   * (an unreachable bus), so a caller that does not await it must catch it. Delivery is at most once: see
   * `options.onMissed` for how a subscriber learns that it may have missed messages.
   */
  subscribe(topic: string, handler: BusHandler, options?: SubscribeOptions): Promise<() => Promise<void>>;
  /**
   * Runs `fn` while holding an exclusive lock on `key` across all instances, so one conversation is acted on
   * by one instance at a time, in arrival order within an instance. `fn` gets the acquisition's fencing
   * token (see HeldLock): a lock can still be lost while held (a stall past its expiry), the token is what
   * lets the store refuse the late writes of a holder that lost it.
   */
  withLock<T>(key: string, fn: (lock: HeldLock) => Promise<T>): Promise<T>;
  /** Who is connected, counted across every instance (the web chat's "the user left / is back"). */
  readonly presence: BusPresence;
  /** Throws when the bus is unreachable (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connections per key (a session), counted by every instance and summed across them, plus a shared "away"
 * mark. Each instance counts the connections it holds itself; an instance that dies stops counting after at
 * most `staleAfterMs` (Redis: its entries expire unless it keeps refreshing them), so a crash never keeps a
 * user present for good. The away mark is set by whichever instance found the user gone and cleared by
 * whichever instance they come back to, so "left" and "back" are each reported once, by one instance.
 */
export interface BusPresence {
  /**
   * One more connection of `key` on this instance. Resolves to whether `key` was marked away; the mark is
   * cleared in the same step, so of several instances the user comes back to at once only one hears it.
   */
  join(key: string): Promise<{ wasAway: boolean }>;
  /** One connection fewer on this instance (never below none); resolves to the count on all instances. */
  leave(key: string): Promise<number>;
  /** The connections of `key` on every live instance. */
  count(key: string): Promise<number>;
  /**
   * Marks `key` away if no live instance counts a connection of it and it is not marked yet, in one step;
   * resolves to true when this call set the mark (the caller then reports the user gone).
   */
  markAwayIfAbsent(key: string): Promise<boolean>;
  /**
   * How long a dead instance's connections may still count, in ms (Redis: the entry TTL); 0 where they
   * cannot outlive the instance (memory: one process).
   */
  readonly staleAfterMs: number;
}
