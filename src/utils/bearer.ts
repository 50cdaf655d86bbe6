import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The token of an `authorization: Bearer <token>` header, or "" when the header is absent or another scheme.
 * HTTP auth schemes are case-insensitive, so `bearer` is accepted too.
 */
export function bearerToken(header: string | string[] | undefined): string {
  return typeof header === "string" && /^Bearer /i.test(header) ? header.slice(7).trim() : "";
}

/**
 * Whether `presented` is one of `secrets`, in time independent of where or whether it matches: both sides are
 * hashed to 32 bytes first (so lengths tell nothing) and every secret is compared. An empty token never
 * matches. The one check for every server-side secret: the bot API's callbackSecret, inject/notify's
 * apiSecret, the metrics token.
 */
export function matchesSecret(presented: string, secrets: readonly string[]): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  const given = digest(presented);
  let matched = false;
  for (const secret of secrets) matched = timingSafeEqual(given, digest(secret)) || matched;
  return matched && presented.length > 0;
}
