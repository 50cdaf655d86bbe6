import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../src/index.ts";
import { control, createChannel, createConversation } from "./support/gateway-client.ts";
import { verifySignature } from "./support/verify-signature.ts";
import { waitFor } from "./support/wait-for.ts";
import {
  startWebhookReceiver,
  type ReceivedRequest,
  type WebhookReceiver,
} from "./support/webhook-receiver.ts";

let sim: Simulator;
let receiver: WebhookReceiver;
beforeEach(async () => {
  sim = await createSimulator({ tenant: "acme", customerId: "cust-9" });
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await sim.close();
  await receiver.close();
});

function kidOf(request: ReceivedRequest): string {
  const [protectedB64 = ""] = String(request.headers["x-8x8-signature"]).split(".");
  return (JSON.parse(Buffer.from(protectedB64, "base64url").toString("utf8")) as { kid: string }).kid;
}

describe("webhook signatures", () => {
  it("signs every event so an independent RS256 verifier accepts it, and rejects a flipped body byte", async () => {
    const channelId = await createChannel(sim, receiver);
    await createConversation(sim, channelId);
    const requests = await waitFor(() => receiver.requests.length >= 4 && receiver.requests, {
      what: "4 deliveries",
    });

    for (const request of requests) {
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["x-8x8-tenant-id"]).toBe("acme");
      expect(request.headers["x-8x8-customer-id"]).toBe("cust-9");
      expect(request.headers["x-8x8-retry"]).toBe("0");
      expect(await verifySignature(sim.url, request.raw, request.headers)).toBe(true);

      const tampered = Buffer.from(request.raw);
      tampered[tampered.length - 2] = (tampered[tampered.length - 2] ?? 0) ^ 0x01;
      expect(await verifySignature(sim.url, tampered, request.headers)).toBe(false);
    }
    // One delivery is the WEB_HOOK_VERIFY of the webhook creation, byte for byte.
    const verifyEvent = requests.find((r) => r.event.eventType === "WEB_HOOK_VERIFY");
    expect(verifyEvent?.raw.toString("utf8")).toBe(
      '{"notificationVersion":"Chat Gateway v1.0","eventType":"WEB_HOOK_VERIFY"}',
    );
    expect(new Set(requests.map((r) => r.headers["x-8x8-event-id"])).size).toBe(requests.length);
  });

  it("serves the JWK as application/json with kty, e, n and kid, without an API key", async () => {
    const response = await fetch(`${sim.url}/chat-gateway/v1/jwk/${sim.currentKid()}/public`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const jwk = (await response.json()) as Record<string, string>;
    expect(Object.keys(jwk).sort()).toEqual(["e", "kid", "kty", "n"]);
    expect(jwk).toMatchObject({ kty: "RSA", e: "AQAB", kid: sim.currentKid() });
    expect(Buffer.from(jwk["n"] ?? "", "base64url").length).toBe(256);
  });

  it("keeps serving the old JWK after key rotation and signs new events with the new kid", async () => {
    const channelId = await createChannel(sim, receiver);
    const oldKid = sim.currentKid();
    const rotated = await control<{ kid: string }>(sim, "POST", "/keys/rotate");
    const newKid = rotated.body.kid;
    expect(newKid).not.toBe(oldKid);
    expect(sim.currentKid()).toBe(newKid);
    const viaApi = await sim.rotateKey();
    expect(viaApi).not.toBe(newKid);

    for (const kid of [oldKid, newKid, viaApi]) {
      const response = await fetch(`${sim.url}/chat-gateway/v1/jwk/${kid}/public`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { kid: string }).kid).toBe(kid);
    }

    await createConversation(sim, channelId);
    const last = await waitFor(() => receiver.requests.length >= 4 && receiver.requests.at(-1), {
      what: "events",
    });
    expect(kidOf(last)).toBe(viaApi);
    expect(await verifySignature(sim.url, last.raw, last.headers)).toBe(true);
  });
});
