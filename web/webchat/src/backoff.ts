/** Reconnection delays: exponential from 0.5 s, capped at 10 s, with ±20 % jitter. */
export const reconnectBackoff = { initialMs: 500, maxMs: 10_000, jitter: 0.2 } as const;

/**
 * The wait before reconnect attempt `attempt` (0 for the first retry). Jitter spreads the reconnects of many
 * pages after a gateway restart, so they do not all arrive in the same instant; the result stays within
 * [initialMs, maxMs].
 *
 * @example reconnectDelay(0) // ≈ 500; reconnectDelay(3) // ≈ 4000; reconnectDelay(10) // ≈ 10000
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const { initialMs, maxMs, jitter } = reconnectBackoff;
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 16);
  const base = Math.min(maxMs, initialMs * 2 ** exponent);
  const jittered = base * (1 - jitter + 2 * jitter * random());
  return Math.round(Math.min(maxMs, Math.max(initialMs, jittered)));
}
