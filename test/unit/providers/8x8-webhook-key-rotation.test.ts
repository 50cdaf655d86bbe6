import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import { createChatGatewayClient } from "../../../src/providers/8x8/client.ts";
import { createJwkCache } from "../../../src/providers/8x8/jwk-cache.ts";
import { createWebhookVerifier } from "../../../src/providers/8x8/signature.ts";
import {
  createFakeJwkSource,
  createSigningKey,
  signedDelivery,
  type SigningKey,
} from "../../factories/eight-by-eight-webhooks.ts";

const start = 1_767_225_600_000;
const body = { eventType: "TRANSFER", conversationId: "cv_1", timestamp: start };

function setup(...published: SigningKey[]) {
  let now = start;
  const source = createFakeJwkSource(...published);
  const verifier = createWebhookVerifier({
    keys: createJwkCache({ fetchJwk: source.fetchJwk, clock: () => now }),
    clock: () => now,
  });
  const deliver = (key: SigningKey) => verifier.verify(signedDelivery({ key, body, transmissionTime: now }));
  const advance = (ms: number) => void (now += ms);
  return { source, verifier, deliver, advance };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(BatonError);
  return (error as BatonError).code;
}

describe("8x8 signing key cache and rotation", () => {
  it("fetches a kid once and reuses the cached key", async () => {
    const key1 = createSigningKey("key1");
    const { source, deliver } = setup(key1);
    await deliver(key1);
    await deliver(key1);
    await deliver(key1);
    expect(source.fetches).toEqual(["key1"]);
  });

  it("accepts a rotation to a new kid by fetching the unknown kid", async () => {
    const key1 = createSigningKey("key1");
    const key2 = createSigningKey("key2");
    const { source, deliver } = setup(key1);
    await deliver(key1);
    source.publish(key2);
    await expect(deliver(key2)).resolves.toMatchObject({ kid: "key2" });
    expect(source.fetches).toEqual(["key1", "key2"]);
  });

  it("accepts a new key behind the same kid after exactly one refetch", async () => {
    const oldKey = createSigningKey("key1");
    const newKey = createSigningKey("key1");
    const { source, deliver, advance } = setup(oldKey);
    await deliver(oldKey);
    source.publish(newKey);
    advance(31_000);
    await expect(deliver(newKey)).resolves.toMatchObject({ kid: "key1" });
    await expect(deliver(newKey)).resolves.toMatchObject({ kid: "key1" });
    expect(source.fetches).toEqual(["key1", "key1"]);
  });

  it("refetches a cached kid at most once per 30 s however many signatures fail", async () => {
    const key1 = createSigningKey("key1");
    const forger = createSigningKey("key1");
    const { source, deliver, advance } = setup(key1);
    await deliver(key1);
    advance(31_000);
    const attempts = await Promise.all(Array.from({ length: 20 }, () => codeOf(deliver(forger))));
    expect(new Set(attempts)).toEqual(new Set(["BATON_ERR_WEBHOOK_SIGNATURE_INVALID"]));
    advance(10_000);
    expect(await codeOf(deliver(forger))).toBe("BATON_ERR_WEBHOOK_SIGNATURE_INVALID");
    expect(source.fetches).toEqual(["key1", "key1"]);
    advance(21_000);
    expect(await codeOf(deliver(forger))).toBe("BATON_ERR_WEBHOOK_SIGNATURE_INVALID");
    expect(source.fetches).toEqual(["key1", "key1", "key1"]);
  });

  it("answers KEY_UNAVAILABLE when the key cannot be fetched, and does not cache the failure", async () => {
    const key1 = createSigningKey("key1");
    const { source, deliver } = setup(key1);
    source.failNext(1);
    const error = await deliver(key1).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe("BATON_ERR_WEBHOOK_KEY_UNAVAILABLE");
    expect((error as BatonError).status).toBe(503);
    await expect(deliver(key1)).resolves.toMatchObject({ kid: "key1" });
    expect(source.fetches).toEqual(["key1", "key1"]);
  });

  it("keeps the cached key when a rotation refetch fails", async () => {
    const key1 = createSigningKey("key1");
    const forger = createSigningKey("key1");
    const { source, deliver, advance } = setup(key1);
    await deliver(key1);
    advance(31_000);
    source.failNext(1);
    expect(await codeOf(deliver(forger))).toBe("BATON_ERR_WEBHOOK_KEY_UNAVAILABLE");
    await expect(deliver(key1)).resolves.toMatchObject({ kid: "key1" });
    expect(source.fetches).toEqual(["key1", "key1"]);
  });

  it("shares one fetch among concurrent lookups of the same kid", async () => {
    const key1 = createSigningKey("key1");
    const { source, deliver } = setup(key1);
    await Promise.all(Array.from({ length: 10 }, () => deliver(key1)));
    expect(source.fetches).toEqual(["key1"]);
  });

  it.each([
    [
      "an EC key",
      () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }),
    ],
    [
      "an RSA-1024 key",
      () => generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" }),
    ],
    ["an encryption key", () => ({ ...createSigningKey("x").publicJwk, use: "enc" })],
    ["an object that is no key", () => ({ kty: "RSA", n: "AQAB" })],
  ])("refuses %s from the key source (KEY_UNAVAILABLE, not cached)", async (_name, makeJwk) => {
    let calls = 0;
    const cache = createJwkCache({
      fetchJwk: () => {
        calls += 1;
        return Promise.resolve(makeJwk() as JsonWebKey);
      },
    });
    expect(await codeOf(cache.get("k"))).toBe("BATON_ERR_WEBHOOK_KEY_UNAVAILABLE");
    expect(await codeOf(cache.get("k"))).toBe("BATON_ERR_WEBHOOK_KEY_UNAVAILABLE");
    expect(calls).toBe(2);
  });
});

describe("8x8 signing key fetched over HTTP", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it("verifies with a key served at /chat-gateway/v1/jwk/{kid}/public, fetching it once; 404 is an unknown kid, 500 is unavailable", async () => {
    const key1 = createSigningKey("key1");
    const requested: string[] = [];
    server = createServer((request, response) => {
      requested.push(request.url ?? "");
      const found = request.url === "/chat-gateway/v1/jwk/key1/public";
      const down = request.url === "/chat-gateway/v1/jwk/key500/public";
      response.writeHead(found ? 200 : down ? 500 : 404, { "content-type": "application/json" });
      response.end(
        JSON.stringify(found ? key1.publicJwk : { message: "Not Found", errors: ["no such key"] }),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const client = createChatGatewayClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      apiKey: "k",
      retry: { maxAttempts: 1 },
    });
    const now = Date.now();
    const verifier = createWebhookVerifier({
      keys: createJwkCache({ fetchJwk: (kid) => client.jwk.getPublicJwk(kid) }),
    });
    try {
      await expect(
        verifier.verify(signedDelivery({ key: key1, body, transmissionTime: now })),
      ).resolves.toMatchObject({ kid: "key1" });
      await verifier.verify(signedDelivery({ key: key1, body, transmissionTime: now }));
      const unknown = createSigningKey("key9");
      const unknownDelivery = () =>
        verifier.verify(signedDelivery({ key: unknown, body, transmissionTime: now }));
      expect(await codeOf(unknownDelivery())).toBe("BATON_ERR_WEBHOOK_SIGNATURE_INVALID");
      expect(await codeOf(unknownDelivery())).toBe("BATON_ERR_WEBHOOK_SIGNATURE_INVALID");
      const down = { ...unknown, kid: "key500" };
      expect(await codeOf(verifier.verify(signedDelivery({ key: down, body, transmissionTime: now })))).toBe(
        "BATON_ERR_WEBHOOK_KEY_UNAVAILABLE",
      );
      expect(requested).toEqual([
        "/chat-gateway/v1/jwk/key1/public",
        "/chat-gateway/v1/jwk/key9/public",
        "/chat-gateway/v1/jwk/key500/public",
      ]);
    } finally {
      await client.close();
    }
  });
});
