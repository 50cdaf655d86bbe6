import { createPrivateKey } from "node:crypto";
import { FlattenedSign } from "jose";
import { describe, expect, it } from "vitest";
import { BatonError, type ErrorCode } from "../../../src/errors/index.ts";
import { createJwkCache } from "../../../src/providers/8x8/jwk-cache.ts";
import { crc32Unsigned, createWebhookVerifier } from "../../../src/providers/8x8/signature.ts";
import type { WebhookRequest } from "../../../src/providers/port.ts";
import {
  createFakeJwkSource,
  createSigningKey,
  signedDelivery,
  tableCrc32,
} from "../../factories/eight-by-eight-webhooks.ts";

const now = 1_767_225_600_000;
const issuerKey = createSigningKey("key1");
const body = { eventType: "QUEUED", conversationId: "cv_1", timestamp: now - 5, data: { queueId: "311" } };

function verifierFor(
  options: { expectedTenantId?: string; expectedCustomerId?: string; maxSkewSeconds?: number } = {},
) {
  const source = createFakeJwkSource(issuerKey);
  const verifier = createWebhookVerifier({
    keys: createJwkCache({ fetchJwk: source.fetchJwk, clock: () => now }),
    clock: () => now,
    ...options,
  });
  return { verifier, source };
}

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(BatonError);
  return error as BatonError;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<BatonError> {
  const error = await rejection(promise);
  expect(error.code).toBe(code);
  return error;
}

function withHeader(request: WebhookRequest, name: string, value: string | undefined): WebhookRequest {
  return { rawBody: request.rawBody, headers: { ...request.headers, [name]: value } };
}

describe("CRC-32 checksum of the raw body", () => {
  it("matches the standard CRC-32 check value of '123456789'", () => {
    expect(tableCrc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32Unsigned(Buffer.from("123456789"))).toBe(3421780262);
  });

  it("pins a hand-made 8x8 body whose CRC has the high bit set (a signed CRC would be negative)", () => {
    const raw = Buffer.from(
      '{"eventType":"MEMBERS_CHANGED","conversationId":"cv_7Hq2LmZt0aQ","timestamp":1767225655001,' +
        '"data":{"memberType":"agent","change":"joined","id":"agQx81pLrT0mVbE3"}}',
    );
    expect(tableCrc32(raw)).toBe(4090923148);
    expect(crc32Unsigned(raw)).toBe(4090923148);
  });

  it("is computed over UTF-8 bytes, not characters", () => {
    const raw = Buffer.from('{"text":"Grüße 👋"}', "utf8");
    expect(tableCrc32(raw)).toBe(2352457737);
    expect(crc32Unsigned(raw)).toBe(2352457737);
  });
});

describe("8x8 webhook signature verification", () => {
  it("accepts a delivery signed by the issuer's key and reports its headers", async () => {
    const { verifier } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now, retry: 2, eventId: "e-1" });
    await expect(verifier.verify(request)).resolves.toEqual({
      eventId: "e-1",
      retry: 2,
      tenantId: "tenant01",
      customerId: "cust-1",
      transmissionTime: now,
      kid: "key1",
    });
  });

  it("accepts a delivery signed with jose's RFC 7797 signer (b64:false, crit)", async () => {
    const { verifier } = verifierFor();
    const unsigned = signedDelivery({ key: issuerKey, body, transmissionTime: now, eventId: "e-jose" });
    const payload =
      `{"checksum":${tableCrc32(unsigned.rawBody)},"cid":"cust-1","eid":"e-jose","retry":0,` +
      `"tid":"tenant01","tt":${now}}`;
    const jws = await new FlattenedSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: "RS256", kid: "key1", b64: false, crit: ["b64"] })
      .sign(createPrivateKey(issuerKey.privateKey.export({ format: "pem", type: "pkcs8" })));
    const request = withHeader(unsigned, "x-8x8-signature", `${jws.protected}..${jws.signature}`);
    await expect(verifier.verify(request)).resolves.toMatchObject({ eventId: "e-jose" });
  });

  it("rejects a body with one flipped byte as INVALID", async () => {
    const { verifier } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now });
    const tampered = Buffer.from(request.rawBody);
    tampered[20] = tampered[20]! ^ 0x01;
    await expectCode(
      verifier.verify({ ...request, rawBody: tampered }),
      "BATON_ERR_WEBHOOK_SIGNATURE_INVALID",
    );
  });

  it.each([
    ["x-8x8-event-id", "other-event"],
    ["x-8x8-retry", "7"],
    ["x-8x8-tenant-id", "other-tenant"],
    ["x-8x8-customer-id", "other-customer"],
    ["x-8x8-transmission-time", String(now + 1)],
  ])("rejects a changed signed header %s as INVALID", async (name, value) => {
    const { verifier } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now });
    await expectCode(
      verifier.verify(withHeader(request, name, value)),
      "BATON_ERR_WEBHOOK_SIGNATURE_INVALID",
    );
  });

  it("rejects alg:none with an empty signature as ALG", async () => {
    const { verifier } = verifierFor();
    const request = signedDelivery({
      key: issuerKey,
      body,
      transmissionTime: now,
      protectedHeader: { alg: "none", kid: "key1", b64: false, crit: ["b64"] },
    });
    const headerB64 = request.headers["x-8x8-signature"]!.split(".")[0]!;
    await expectCode(
      verifier.verify(withHeader(request, "x-8x8-signature", `${headerB64}..`)),
      "BATON_ERR_WEBHOOK_SIGNATURE_ALG",
    );
  });

  it("rejects HS256 keyed with the public key's bytes as ALG, without fetching a key", async () => {
    const { verifier, source } = verifierFor();
    const request = signedDelivery({
      key: issuerKey,
      body,
      transmissionTime: now,
      protectedHeader: { alg: "HS256", kid: "key1", b64: false, crit: ["b64"] },
      hmacSecret: Buffer.from(JSON.stringify(issuerKey.publicJwk)),
    });
    await expectCode(verifier.verify(request), "BATON_ERR_WEBHOOK_SIGNATURE_ALG");
    expect(source.fetches).toEqual([]);
  });

  it.each([
    ["missing crit", { alg: "RS256", kid: "key1", b64: false }],
    ["crit without b64", { alg: "RS256", kid: "key1", b64: false, crit: [] }],
    ["an unknown crit extension", { alg: "RS256", kid: "key1", b64: false, crit: ["b64", "exp"] }],
    ["b64 true", { alg: "RS256", kid: "key1", b64: true, crit: ["b64"] }],
    ["b64 absent", { alg: "RS256", kid: "key1", crit: ["b64"] }],
    ["RS512", { alg: "RS512", kid: "key1", b64: false, crit: ["b64"] }],
  ])("rejects a protected header with %s as ALG", async (_name, protectedHeader) => {
    const { verifier } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now, protectedHeader });
    await expectCode(verifier.verify(request), "BATON_ERR_WEBHOOK_SIGNATURE_ALG");
  });

  it.each([
    "x-8x8-signature",
    "x-8x8-customer-id",
    "x-8x8-event-id",
    "x-8x8-retry",
    "x-8x8-tenant-id",
    "x-8x8-transmission-time",
  ])("rejects a delivery without %s as MISSING", async (name) => {
    const { verifier } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now });
    const error = await expectCode(
      verifier.verify(withHeader(request, name, undefined)),
      "BATON_ERR_WEBHOOK_SIGNATURE_MISSING",
    );
    expect(error.details.field).toBe(name);
  });

  it.each([
    ["a non-empty middle part", (sig: string) => sig.replace("..", ".eyJ9.")],
    ["two parts", (sig: string) => sig.replace("..", ".")],
    ["a header that is not JSON", (sig: string) => `bm90LWpzb24..${sig.split("..")[1]}`],
    ["a header with non-base64url characters", (sig: string) => `ab+c..${sig.split("..")[1]}`],
    ["a signature with non-base64url characters", (sig: string) => `${sig.split("..")[0]}..abc/def`],
  ])("rejects a signature with %s as MALFORMED", async (_name, mangle) => {
    const { verifier } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now });
    const mangled = withHeader(request, "x-8x8-signature", mangle(request.headers["x-8x8-signature"]!));
    await expectCode(verifier.verify(mangled), "BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED");
  });

  it("rejects a kid that is not URL-safe (it becomes part of the key URL) as MALFORMED", async () => {
    const { verifier, source } = verifierFor();
    const request = signedDelivery({
      key: issuerKey,
      body,
      transmissionTime: now,
      protectedHeader: { alg: "RS256", kid: "../../admin", b64: false, crit: ["b64"] },
    });
    await expectCode(verifier.verify(request), "BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED");
    expect(source.fetches).toEqual([]);
  });

  it.each([
    ["x-8x8-retry", "one"],
    ["x-8x8-retry", "-1"],
    ["x-8x8-retry", "1e3"],
    ["x-8x8-transmission-time", "yesterday"],
    ["x-8x8-transmission-time", "1767225600000.5"],
  ])("rejects a non-numeric %s (%s) as MALFORMED", async (name, value) => {
    const { verifier } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now });
    const error = await expectCode(
      verifier.verify(withHeader(request, name, value)),
      "BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED",
    );
    expect(error.details.field).toBe(name);
  });

  it.each([
    ["301 s old", now - 301_000],
    ["301 s in the future", now + 301_000],
  ])("rejects a transmission time %s as STALE, before fetching a key", async (_name, transmissionTime) => {
    const { verifier, source } = verifierFor();
    const request = signedDelivery({ key: issuerKey, body, transmissionTime });
    await expectCode(verifier.verify(request), "BATON_ERR_WEBHOOK_STALE");
    expect(source.fetches).toEqual([]);
  });

  it("accepts a transmission time just inside the skew, and honours a configured skew", async () => {
    const request = signedDelivery({ key: issuerKey, body, transmissionTime: now - 299_000 });
    await expect(verifierFor().verifier.verify(request)).resolves.toBeDefined();
    await expectCode(verifierFor({ maxSkewSeconds: 60 }).verifier.verify(request), "BATON_ERR_WEBHOOK_STALE");
  });

  it.each([
    ["x-8x8-tenant-id", { expectedTenantId: "tenant02" }],
    ["x-8x8-customer-id", { expectedCustomerId: "cust-2" }],
  ])(
    "rejects a validly signed delivery for another %s as INVALID when one is configured",
    async (field, expected) => {
      const request = signedDelivery({ key: issuerKey, body, transmissionTime: now });
      const error = await expectCode(
        verifierFor(expected).verifier.verify(request),
        "BATON_ERR_WEBHOOK_SIGNATURE_INVALID",
      );
      expect(error.details.field).toBe(field);
      const matching = { expectedTenantId: "tenant01", expectedCustomerId: "cust-1" };
      await expect(verifierFor(matching).verifier.verify(request)).resolves.toBeDefined();
    },
  );

  it("rejects a signature made with a key the issuer did not publish (same kid) as INVALID", async () => {
    const { verifier, source } = verifierFor();
    const forger = createSigningKey("key1");
    const request = signedDelivery({ key: forger, body, transmissionTime: now });
    const error = await expectCode(verifier.verify(request), "BATON_ERR_WEBHOOK_SIGNATURE_INVALID");
    // The key was fetched a moment ago, so the rotation refetch is rate-limited away.
    expect(source.fetches).toEqual(["key1"]);
    const text = `${error.message} ${JSON.stringify(error)}`;
    expect(text).not.toContain(request.headers["x-8x8-signature"]!.split("..")[1]!.slice(0, 40));
    expect(text).not.toContain(String(issuerKey.publicJwk.n).slice(0, 40));
  });
});
