import { createWindowLimiter } from "../rate-limit.ts";

/**
 * Counts refused Copilot links per remote address in a sliding window; once an address has `max` refusals
 * within `windowMs`, its further bad links get the rate-limit answer instead of the access answer. Only
 * refusals count and only refusals are limited: a valid link always opens, so a scanner behind the same
 * address (or proxy) as the agents cannot lock them out. Per instance: a distributed attacker gets `max` ×
 * instances tries a minute, nothing against 256-bit tokens; the point is to slow a scanner down.
 */
export function createFailureLimiter(options: { max: number; windowMs: number; clock?: () => number }) {
  const limiter = createWindowLimiter(options);
  return {
    blocked: (address: string) => limiter.blocked(address),
    fail: (address: string) => limiter.hit(address),
  };
}
