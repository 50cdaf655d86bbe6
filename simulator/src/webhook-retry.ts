import { invalidControlInput } from "./errors.ts";

/**
 * How hard delivery tries before it gives an event up: `maxAttempts` attempts in total, the n-th retry after
 * `baseDelayMs × 2^(n-1)` ms, capped at 5 s (or at `baseDelayMs` when that is larger).
 */
export type WebhookRetry = { maxAttempts: number; baseDelayMs: number };

export const DEFAULT_WEBHOOK_RETRY: WebhookRetry = Object.freeze({ maxAttempts: 8, baseDelayMs: 250 });

export const RETRY_LIMITS = {
  maxAttempts: { min: 1, max: 100 },
  baseDelayMs: { min: 0, max: 60_000 },
} as const;

const KEYS = Object.keys(RETRY_LIMITS) as Array<keyof WebhookRetry>;

/** What a valid value of `key` is, in words (shared by the control API, the options and the CLI). */
export function expectedRetryValue(key: keyof WebhookRetry): string {
  const { min, max } = RETRY_LIMITS[key];
  return key === "maxAttempts"
    ? `an integer number of attempts between ${min} and ${max}`
    : `an integer number of milliseconds between ${min} and ${max}`;
}

export function isValidRetryValue(key: keyof WebhookRetry, value: unknown): value is number {
  const { min, max } = RETRY_LIMITS[key];
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

/**
 * Validates a partial retry budget (the `retry` option, `PUT /sim/webhook-retry`, `setWebhookRetry`); throws
 * a 400 ControlError naming the field. Absent keys keep their value; unknown keys are refused.
 */
export function parseRetryPatch(input: unknown): Partial<WebhookRetry> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw invalidControlInput("body", "a JSON object with maxAttempts and/or baseDelayMs");
  }
  const patch: Partial<WebhookRetry> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!isRetryKey(key)) throw invalidControlInput(key, `one of ${KEYS.join(", ")}`);
    if (value === undefined) continue;
    if (!isValidRetryValue(key, value)) throw invalidControlInput(key, expectedRetryValue(key));
    patch[key] = value;
  }
  return patch;
}

function isRetryKey(key: string): key is keyof WebhookRetry {
  return (KEYS as string[]).includes(key);
}
