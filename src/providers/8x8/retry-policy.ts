/** How a client retries a failed attempt. All durations in milliseconds. */
export interface RetrySettings {
  /** Total attempts including the first; 1 disables retries. */
  readonly maxAttempts: number;
  /** Backoff ceiling for the first retry; doubles per retry. */
  readonly baseDelayMs: number;
  /** Upper bound of the exponential backoff (not of Retry-After). */
  readonly maxDelayMs: number;
  /** The longest `Retry-After` the client waits in-process; a longer one ends the retries early. */
  readonly retryAfterCapMs: number;
}

export const defaultRetrySettings: RetrySettings = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  retryAfterCapMs: 30_000,
};

/**
 * "Full jitter" backoff: a uniform delay in [0, min(max, base·2^(retry-1))]. Spreading retries over the whole
 * window stops many Baton instances from hammering 8x8 in lockstep after a shared outage.
 */
export function backoffDelay(retryNumber: number, settings: RetrySettings, random: () => number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Parses `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3) into a non-negative wait in ms.
 * Returns undefined when the header is absent or unreadable, so the caller falls back to backoff.
 */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Every HTTP-date form starts with a day name; without that check Date.parse("-3") reads as the year -3.
  const date = /^[A-Za-z]{3}/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before the next attempt, or `giveUp` when Retry-After asks for longer than the in-process cap. */
export type NextDelay = { readonly kind: "wait"; readonly ms: number } | { readonly kind: "giveUp" };

/**
 * A server's Retry-After wins over backoff (8x8 documents no rate limit for the Chat Gateway, so honour
 * whatever it says). A wait beyond the cap is not shortened, because retrying earlier than asked would only
 * earn another 429; instead the client stops and reports `retryAfterMs` so a durable outbox can come back
 * later.
 */
export function nextDelay(
  retryNumber: number,
  retryAfterMs: number | undefined,
  settings: RetrySettings,
  random: () => number,
): NextDelay {
  if (retryAfterMs === undefined) return { kind: "wait", ms: backoffDelay(retryNumber, settings, random) };
  if (retryAfterMs > settings.retryAfterCapMs) return { kind: "giveUp" };
  return { kind: "wait", ms: retryAfterMs };
}

/** 429 and every 5xx may succeed later; every other status will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
