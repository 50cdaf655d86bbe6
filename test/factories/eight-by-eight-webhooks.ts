import { createHmac, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import { ChatGatewayError } from "../../src/providers/8x8/gateway-error.ts";
import type { WebhookRequest } from "../../src/providers/port.ts";

/**
 * Test-side 8x8 webhook signing, written independently of src/providers/8x8/signature.ts (its own CRC-32,
 * its own payload serialisation) so that the verifier is checked against a second reading of 8x8's
 * signature scheme ("Validating Webhook Events"), not against itself.
 */

/** Table-driven CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), unsigned. */
export function tableCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (crc >>> 8) ^ crcTable[(crc ^ byte) & 0xff]!;
  return (crc ^ 0xffffffff) >>> 0;
}

const crcTable: number[] = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: JsonWebKey;
}

/** A fresh RSA-2048 key pair, as 8x8 uses (its sample signature is 256 bytes). */
export function createSigningKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: "jwk" }), kid } };
}

export interface DeliveryOptions {
  readonly key: SigningKey;
  /** An object is serialised with JSON.stringify; a string is sent byte for byte. */
  readonly body: string | object;
  readonly eventId?: string;
  readonly retry?: number;
  readonly tenantId?: string;
  readonly customerId?: string;
  /** Epoch ms; required so that tests state their clock. */
  readonly transmissionTime: number;
  /** Replaces the protected header (alg tests). */
  readonly protectedHeader?: Record<string, unknown>;
  /** Signs with HMAC-SHA256 over the same input, using this secret (HS256 confusion test). */
  readonly hmacSecret?: Buffer;
}

let eventCounter = 0;

/** A delivery as 8x8 would POST it: raw body bytes and the six lower-cased x-8x8-* headers. */
export function signedDelivery(options: DeliveryOptions): WebhookRequest & { readonly eventId: string } {
  const rawBody = Buffer.from(
    typeof options.body === "string" ? options.body : JSON.stringify(options.body),
    "utf8",
  );
  const eventId = options.eventId ?? `evt-${(eventCounter += 1)}-${Date.now()}`;
  const headers = {
    "x-8x8-customer-id": options.customerId ?? "cust-1",
    "x-8x8-event-id": eventId,
    "x-8x8-retry": String(options.retry ?? 0),
    "x-8x8-tenant-id": options.tenantId ?? "tenant01",
    "x-8x8-transmission-time": String(options.transmissionTime),
  };
  // Key order checksum, cid, eid, retry, tid, tt (object literal order; JSON.stringify keeps it).
  const payload = JSON.stringify({
    checksum: tableCrc32(rawBody),
    cid: headers["x-8x8-customer-id"],
    eid: headers["x-8x8-event-id"],
    retry: options.retry ?? 0,
    tid: headers["x-8x8-tenant-id"],
    tt: options.transmissionTime,
  });
  const header = options.protectedHeader ?? { alg: "RS256", kid: options.key.kid, b64: false, crit: ["b64"] };
  const headerB64 = Buffer.from(JSON.stringify(header), "utf8").toString("base64url");
  const input = Buffer.from(`${headerB64}.${payload}`, "utf8");
  const signature = options.hmacSecret
    ? createHmac("sha256", options.hmacSecret).update(input).digest()
    : sign("sha256", input, options.key.privateKey);
  return {
    eventId,
    rawBody,
    headers: {
      ...headers,
      "x-8x8-signature": `${headerB64}..${signature.toString("base64url")}`,
      "content-type": "application/json",
    },
  };
}

/** A JWK source standing in for 8x8's key endpoint: what it publishes, how often it was asked, and outages. */
export interface FakeJwkSource {
  readonly fetchJwk: (kid: string) => Promise<JsonWebKey>;
  publish(key: SigningKey): void;
  /** The next `count` fetches fail as if 8x8 answered 500 (an unpublished kid answers 404). */
  failNext(count: number): void;
  readonly fetches: string[];
}

export function createFakeJwkSource(...keys: SigningKey[]): FakeJwkSource {
  const published = new Map<string, JsonWebKey>(keys.map((key) => [key.kid, key.publicJwk]));
  const fetches: string[] = [];
  let failures = 0;
  return {
    fetches,
    publish: (key) => void published.set(key.kid, key.publicJwk),
    failNext: (count) => void (failures = count),
    fetchJwk(kid) {
      fetches.push(kid);
      // Rejected as the Chat Gateway client rejects: the HTTP status tells "down" from "no such key".
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(jwkAnswer("BATON_ERR_8X8_UNAVAILABLE", 500));
      }
      const jwk = published.get(kid);
      return jwk ? Promise.resolve(jwk) : Promise.reject(jwkAnswer("BATON_ERR_8X8_REQUEST_REJECTED", 404));
    },
  };
}

function jwkAnswer(
  code: "BATON_ERR_8X8_UNAVAILABLE" | "BATON_ERR_8X8_REQUEST_REJECTED",
  status: number,
): ChatGatewayError {
  return new ChatGatewayError(code, { operation: "jwk.get", status, fieldErrors: [], attempts: 1 });
}
