import { verify as verifySignature, type KeyObject } from "node:crypto";
import { crc32 } from "node:zlib";
import { BatonError } from "../../errors/index.ts";
import type { WebhookRequest } from "../port.ts";
import type { JwkCache } from "./jwk-cache.ts";

/**
 * 8x8 webhook signature verification, as 8x8's "Validating Webhook Events" page describes it
 * (https://developer.8x8.com/actions-events/docs/validating-webhook-events).
 *
 * `x-8x8-signature` is a detached compact JWS with an unencoded payload (RFC 7515 + RFC 7797):
 * `<b64url protected header>..<b64url signature>`. The signed payload is not sent; it is rebuilt from the
 * raw body and five headers as compact JSON in the key order checksum, cid, eid, retry, tid, tt, and the
 * signing input is `ASCII(protected header as received) + "." + payload` (no base64 because b64:false).
 *
 * Doc contradictions handled here:
 * - 8x8's Node sample computes the CRC over `JSON.stringify(parsedBody)`; we use the raw body bytes, which is
 *   what the legacy "Verify webhook callbacks" page's published checksum (1564621066) confirms.
 * - The v1 page's sample checksum (1411811814) is a copy error; the unsigned CRC-32 is the documented value,
 *   and the `crc-32` package's signed result is a trap (`>>> 0` fixes it).
 */

/** The headers 8x8 sends with each event, lower-cased as the server hands them over. */
export const webhookHeaders = {
  signature: "x-8x8-signature",
  customerId: "x-8x8-customer-id",
  eventId: "x-8x8-event-id",
  retry: "x-8x8-retry",
  tenantId: "x-8x8-tenant-id",
  transmissionTime: "x-8x8-transmission-time",
} as const;

/** The facts of one verified delivery. */
export interface VerifiedDelivery {
  readonly eventId: string;
  readonly retry: number;
  readonly tenantId: string;
  readonly customerId: string;
  /** `x-8x8-transmission-time`, epoch ms; changes on every retry, unlike the payload timestamp. */
  readonly transmissionTime: number;
  /** The key id that verified the signature. */
  readonly kid: string;
}

/** The fields of the signed payload, in the order 8x8 serialises them. */
export interface SigningFields {
  readonly checksum: number;
  readonly cid: string;
  readonly eid: string;
  readonly retry: number;
  readonly tid: string;
  readonly tt: number;
}

/** A parsed `x-8x8-signature` whose protected header passed the algorithm checks. */
export interface DetachedJws {
  /** The protected header exactly as received (it is part of the signing input). */
  readonly protectedB64: string;
  readonly kid: string;
  readonly signature: Buffer;
}

export interface WebhookVerifierOptions {
  readonly keys: JwkCache;
  /** Largest accepted |now − x-8x8-transmission-time|, in seconds; default 300. */
  readonly maxSkewSeconds?: number;
  /** Epoch milliseconds; injectable for tests. */
  readonly clock?: () => number;
  /** When set, `x-8x8-tenant-id` must equal it (our own hardening; 8x8 does not require the check). */
  readonly expectedTenantId?: string;
  /** When set, `x-8x8-customer-id` must equal it. */
  readonly expectedCustomerId?: string;
}

export interface WebhookVerifier {
  /**
   * Verifies a delivery's signature and freshness.
   * @throws BatonError BATON_ERR_WEBHOOK_SIGNATURE_MISSING | _MALFORMED | _ALG | _INVALID (also for a kid
   *   the key endpoint does not know, or when the key fetch cap is reached), BATON_ERR_WEBHOOK_STALE (all
   *   401), or BATON_ERR_WEBHOOK_KEY_UNAVAILABLE (503, so 8x8 retries: the key endpoint could not be
   *   reached, answered 5xx or served no usable key).
   */
  verify(request: WebhookRequest): Promise<VerifiedDelivery>;
}

const base64UrlPattern = /^[A-Za-z0-9_-]+$/;
/** Non-negative decimal integers only: `Number("")` is 0 and `Number("1e3")` is 1000, neither is 8x8's. */
const unsignedIntegerPattern = /^\d{1,16}$/;
/**
 * The kid becomes a path segment of the JWK URL, and it is read before anything is verified: only URL
 * "unreserved" characters are allowed, so an attacker cannot steer the key fetch elsewhere. `.` and `..`
 * are unreserved too, but as a segment they are dot-segments that URL parsers resolve
 * (`…/jwk/../public` is `…/v1/public`), so they are refused before any fetch.
 */
const kidPattern = /^(?!\.{1,2}$)[A-Za-z0-9._~-]{1,128}$/;
/** Protected headers of 8x8 are ~70 characters; a cap keeps unverified input from costing much. */
const maxProtectedHeaderChars = 2048;
const maxSignatureChars = 2048;

/**
 * @example
 * const verifier = createWebhookVerifier({ keys: createJwkCache({ fetchJwk }), maxSkewSeconds: 300 });
 * const delivery = await verifier.verify({ rawBody, headers }); // throws BatonError when not genuine
 */
export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const maxSkewMs = (options.maxSkewSeconds ?? 300) * 1000;
  const clock = options.clock ?? Date.now;

  return {
    async verify(request) {
      const headers = readSignedHeaders(request.headers);
      const jws = parseDetachedJws(headers.signature);
      const fields: SigningFields = {
        checksum: crc32Unsigned(request.rawBody),
        cid: headers.customerId,
        eid: headers.eventId,
        retry: parseUnsignedInteger(headers.retry, webhookHeaders.retry),
        tid: headers.tenantId,
        tt: parseUnsignedInteger(headers.transmissionTime, webhookHeaders.transmissionTime),
      };
      // Cheap checks first, so that junk never costs a key fetch. A genuine event refused as stale comes
      // back: 8x8 refreshes x-8x8-transmission-time on every retry.
      assertFresh(fields.tt, clock(), maxSkewMs);
      assertExpected(webhookHeaders.tenantId, fields.tid, options.expectedTenantId);
      assertExpected(webhookHeaders.customerId, fields.cid, options.expectedCustomerId);
      const input = signingInput(jws.protectedB64, buildSigningPayload(fields));
      await verifyWithRotation(options.keys, jws, input);
      return {
        eventId: fields.eid,
        retry: fields.retry,
        tenantId: fields.tid,
        customerId: fields.cid,
        transmissionTime: fields.tt,
        kid: jws.kid,
      };
    },
  };
}

interface SignedHeaders {
  readonly signature: string;
  readonly customerId: string;
  readonly eventId: string;
  readonly retry: string;
  readonly tenantId: string;
  readonly transmissionTime: string;
}

function readSignedHeaders(headers: WebhookRequest["headers"]): SignedHeaders {
  const read = (name: string): string => {
    const value = headers[name];
    if (value === undefined || value === "")
      throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_MISSING", { field: name });
    return value;
  };
  return {
    signature: read(webhookHeaders.signature),
    customerId: read(webhookHeaders.customerId),
    eventId: read(webhookHeaders.eventId),
    retry: read(webhookHeaders.retry),
    tenantId: read(webhookHeaders.tenantId),
    transmissionTime: read(webhookHeaders.transmissionTime),
  };
}

function parseUnsignedInteger(value: string, field: string): number {
  const parsed = unsignedIntegerPattern.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED", { field, expected: "a decimal integer" });
  }
  return parsed;
}

/**
 * Splits and checks `x-8x8-signature`. Accepts only `alg: RS256` with `b64: false` and `crit` naming
 * `"b64"` — never `none`, never HMAC (an HS256 header would otherwise let the public key act as a secret).
 * Key-carrying header members (`jwk`, `jku`, `x5u`, `x5c`) are ignored: the key always comes from 8x8.
 * @throws BatonError BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED or BATON_ERR_WEBHOOK_SIGNATURE_ALG
 */
export function parseDetachedJws(value: string): DetachedJws {
  const field = webhookHeaders.signature;
  const malformed = (expected: string): BatonError =>
    new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED", { field, expected });
  const parts = value.split(".");
  const [protectedB64, payload, signatureB64] = parts;
  if (
    parts.length !== 3 ||
    protectedB64 === undefined ||
    payload === undefined ||
    signatureB64 === undefined
  ) {
    throw malformed("<header>..<signature>");
  }
  if (payload !== "") throw malformed("a detached payload (empty middle part)");
  const header = isBase64Url(protectedB64, maxProtectedHeaderChars)
    ? decodeProtectedHeader(protectedB64)
    : undefined;
  if (header === undefined) throw malformed("a base64url JSON object as protected header");
  // The algorithm is judged before the signature part: an alg:none JWS has an empty signature and must be
  // reported as the wrong algorithm, not as a formatting slip.
  assertAcceptedAlgorithm(header);
  const kid = header["kid"];
  if (typeof kid !== "string" || !kidPattern.test(kid)) throw malformed("a kid of URL-safe characters");
  if (!isBase64Url(signatureB64, maxSignatureChars)) throw malformed("a base64url signature");
  return { protectedB64, kid, signature: Buffer.from(signatureB64, "base64url") };
}

function isBase64Url(value: string, maxChars: number): boolean {
  return value.length > 0 && value.length <= maxChars && base64UrlPattern.test(value);
}

function decodeProtectedHeader(protectedB64: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(protectedB64, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function assertAcceptedAlgorithm(header: Record<string, unknown>): void {
  const field = webhookHeaders.signature;
  const crit = header["crit"];
  if (header["alg"] !== "RS256")
    throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_ALG", { field, expected: "alg RS256" });
  if (header["b64"] !== false)
    throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_ALG", { field, expected: "b64 false" });
  // RFC 7515 §4.1.11: a crit extension the recipient does not understand makes the JWS invalid, and b64
  // must be listed for b64:false to be honoured (RFC 7797 §6).
  if (!Array.isArray(crit) || !crit.includes("b64") || crit.some((name) => name !== "b64")) {
    throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_ALG", { field, expected: 'crit ["b64"]' });
  }
}

function assertFresh(transmissionTime: number, now: number, maxSkewMs: number): void {
  if (Math.abs(now - transmissionTime) > maxSkewMs) {
    throw new BatonError("BATON_ERR_WEBHOOK_STALE", {
      field: webhookHeaders.transmissionTime,
      expected: `within ${maxSkewMs / 1000} s of the receiver's clock`,
    });
  }
}

function assertExpected(field: string, actual: string, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_INVALID", { field, expected: "the configured value" });
  }
}

/** Unsigned CRC-32 (IEEE, as zlib and Java's CRC32) of the exact body bytes. */
export function crc32Unsigned(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}

/**
 * The detached payload 8x8 signed. Built by hand rather than with `JSON.stringify(object)` so that the key
 * order is fixed by this code, not by object construction; strings are JSON-escaped by `JSON.stringify`.
 */
export function buildSigningPayload(fields: SigningFields): string {
  return (
    `{"checksum":${fields.checksum},"cid":${JSON.stringify(fields.cid)},"eid":${JSON.stringify(fields.eid)},` +
    `"retry":${fields.retry},"tid":${JSON.stringify(fields.tid)},"tt":${fields.tt}}`
  );
}

/** `ASCII(protected header) + "." + payload`; the payload is used as-is because of b64:false. */
export function signingInput(protectedB64: string, payload: string): Buffer {
  return Buffer.from(`${protectedB64}.${payload}`, "utf8");
}

/**
 * Verifies with the cached key; if that fails, refetches the kid once (rate-limited inside the cache) and
 * tries again, because 8x8 may rotate the key behind an unchanged kid. A kid never seen before is simply
 * fetched by `keys.get`, so a rotation to a new kid needs no special case; one the key endpoint does not
 * know is refused by the cache (remembered for a short while, within a global fetch cap).
 */
async function verifyWithRotation(keys: JwkCache, jws: DetachedJws, input: Buffer): Promise<void> {
  const cachedKey = await keys.get(jws.kid);
  if (rsaSha256Verifies(input, cachedKey, jws.signature)) return;
  const refreshed = await keys.refresh(jws.kid);
  if (
    refreshed !== undefined &&
    refreshed !== cachedKey &&
    rsaSha256Verifies(input, refreshed, jws.signature)
  ) {
    return;
  }
  throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_INVALID", { field: webhookHeaders.signature });
}

function rsaSha256Verifies(input: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verifySignature("RSA-SHA256", input, key, signature);
  } catch {
    return false;
  }
}
