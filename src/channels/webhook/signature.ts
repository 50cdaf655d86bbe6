import { createHmac } from "node:crypto";

/** Headers of every webhook delivery (docs/bot-api.md shows how a receiver checks them). */
export const webhookHeaders = {
  /** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, keyed with the endpoint's callbackSecret. */
  signature: "x-baton-signature",
  /** Unix milliseconds when this attempt was sent; signed, so a receiver can refuse old replays. */
  timestamp: "x-baton-timestamp",
  /** The delivery's id: unique, and the same on every retry of it (a receiver de-duplicates on it). */
  delivery: "x-baton-delivery",
} as const;

/**
 * The `x-baton-signature` value for one attempt. The timestamp is part of the signed text, so a captured
 * request cannot be replayed later with a fresh timestamp.
 *
 * @example
 * const timestamp = String(Date.now());
 * headers["x-baton-signature"] = signWebhookBody(secret, timestamp, body);
 * headers["x-baton-timestamp"] = timestamp;
 */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}
