/**
 * The Bus port: how instances of Baton tell each other things and take turns. The embedded default is one
 * process (memory); scale-out uses Redis. Nothing in the core asks which one it has: scale-out is a second implementation, not an `if`.
 */
export type BusHandler = (message: unknown) => void;

export interface Bus {
  /**
   * Delivers `message` (JSON-serialisable) to every subscriber of `topic` on every instance. Rejects when
   * the bus is unreachable (after a bounded wait, never hanging).
   */
  publish(topic: string, message: unknown): Promise<void>;
  /**
   * Resolves once the subscription is active; the returned function ends it. That function can reject too
   * (an unreachable bus), so a caller that does not await it must catch it.
   */
  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>>;
  /**
   * Runs `fn` while holding an exclusive lock on `key` across all instances, so one conversation is acted on
   * by one instance at a time, in arrival order within an instance.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Throws when the bus is unreachable (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
