import { describe, expect, it } from "vitest";
import {
  createReceiverHarness,
  rejectionOf,
  shareReceiverStoreInFile,
} from "../../factories/eight-by-eight-receiver.ts";
import { createSigningKey, signedDelivery } from "../../factories/eight-by-eight-webhooks.ts";

shareReceiverStoreInFile();

const joined = {
  eventType: "MEMBERS_CHANGED",
  conversationId: "cv_7Hq2LmZt0aQ",
  timestamp: 1767225655001,
  data: { memberType: "agent", change: "joined", id: "agQx81pLrT0mVbE3" },
};

describe("8x8 webhook receiver: only genuine 8x8 events get in", () => {
  it("accepts a signed event, stores it before answering, and hands it on as the domain event", async () => {
    const h = await createReceiverHarness();
    const delivery = h.deliver(joined, { eventId: "evt-join" });
    await expect(delivery).resolves.toEqual({
      status: 200,
      outcome: "accepted",
      eventType: "MEMBERS_CHANGED",
    });
    expect(await h.store.webhookEvents.find(h.providerId, "evt-join")).toMatchObject({
      status: "pending",
      eventType: "MEMBERS_CHANGED",
      conversationId: "cv_7Hq2LmZt0aQ",
      eventTimestamp: 1767225655001,
      retry: 0,
    });
    await h.receiver.idle();
    expect(h.handed).toEqual([
      {
        providerId: h.providerId,
        conversationId: "cv_7Hq2LmZt0aQ",
        eventId: "evt-join",
        occurredAt: 1767225655001,
        kind: "participant.joined",
        role: "agent",
        participantId: "agQx81pLrT0mVbE3",
      },
    ]);
    expect((await h.store.webhookEvents.find(h.providerId, "evt-join"))?.status).toBe("processed");
    expect(h.metrics).toEqual([{ eventType: "MEMBERS_CHANGED", outcome: "accepted" }]);
  });

  it("answers 401 INVALID to a body with one flipped byte and stores nothing", async () => {
    const h = await createReceiverHarness();
    const request = signedDelivery({ key: h.key, body: joined, transmissionTime: h.now() });
    const tampered = Buffer.from(request.rawBody);
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0x01;
    const error = await rejectionOf(h.handle({ ...request, rawBody: tampered }));
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_SIGNATURE_INVALID", 401]);
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
    expect(h.metrics).toEqual([{ eventType: "unknown", outcome: "rejected_signature" }]);
  });

  it.each([
    ["alg none", { alg: "none", kid: "key1", b64: false, crit: ["b64"] }],
    ["HS256", { alg: "HS256", kid: "key1", b64: false, crit: ["b64"] }],
    ["RS256 without crit", { alg: "RS256", kid: "key1", b64: false }],
  ])("answers 401 ALG to %s and stores nothing", async (_name, protectedHeader) => {
    const h = await createReceiverHarness();
    const error = await rejectionOf(h.deliver(joined, { protectedHeader }));
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_SIGNATURE_ALG", 401]);
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
    expect(h.source.fetches).toEqual([]);
  });

  it("answers 401 MISSING to an unsigned event", async () => {
    const h = await createReceiverHarness();
    const error = await rejectionOf(
      h.handle({
        rawBody: Buffer.from(JSON.stringify(joined)),
        headers: { "content-type": "application/json" },
      }),
    );
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_SIGNATURE_MISSING", 401]);
    expect(h.metrics).toEqual([{ eventType: "unknown", outcome: "rejected_signature" }]);
  });

  it("answers 401 STALE to an event transmitted more than 300 s ago", async () => {
    const h = await createReceiverHarness();
    const error = await rejectionOf(h.deliver(joined, { transmissionTime: h.now() - 301_000 }));
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_STALE", 401]);
    expect(h.metrics).toEqual([{ eventType: "unknown", outcome: "rejected_stale" }]);
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
  });

  it("answers 401 INVALID to an event signed with a key the issuer did not publish", async () => {
    const h = await createReceiverHarness();
    const error = await rejectionOf(h.deliver(joined, { key: createSigningKey("key1") }));
    expect(error.code).toBe("BATON_ERR_WEBHOOK_SIGNATURE_INVALID");
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
    expect(h.handed).toEqual([]);
  });

  it("answers 401 INVALID when a tenant is configured and the event is for another one", async () => {
    const h = await createReceiverHarness({ expectedTenantId: "tenant02" });
    const error = await rejectionOf(h.deliver(joined));
    expect([error.code, error.details.field]).toEqual([
      "BATON_ERR_WEBHOOK_SIGNATURE_INVALID",
      "x-8x8-tenant-id",
    ]);
  });

  it("answers 503 when the signing key cannot be fetched, and accepts 8x8's retry once it can", async () => {
    const h = await createReceiverHarness();
    h.source.failNext(1);
    const error = await rejectionOf(h.deliver(joined, { eventId: "evt-k", retry: 0 }));
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_KEY_UNAVAILABLE", 503]);
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
    await expect(h.deliver(joined, { eventId: "evt-k", retry: 1 })).resolves.toMatchObject({
      outcome: "accepted",
    });
    expect(h.source.fetches).toEqual(["key1", "key1"]);
    expect(h.metrics.map((m) => m.outcome)).toEqual(["key_unavailable", "accepted"]);
  });

  it("answers 400 BODY_INVALID to a signed body that is not an event, after checking its signature", async () => {
    const h = await createReceiverHarness();
    const error = await rejectionOf(h.deliver("[1,2,3]"));
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_BODY_INVALID", 400]);
    const unsigned = await rejectionOf(h.handle({ rawBody: Buffer.from("[1,2,3]"), headers: {} }));
    expect(unsigned.code).toBe("BATON_ERR_WEBHOOK_SIGNATURE_MISSING");
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
    expect(h.metrics.map((m) => m.outcome)).toEqual(["rejected_body", "rejected_signature"]);
  });

  it("answers WEB_HOOK_VERIFY with 204, signed or not, and stores nothing", async () => {
    const h = await createReceiverHarness();
    const verify = { notificationVersion: "Chat Gateway v1.0", eventType: "WEB_HOOK_VERIFY" };
    const expected = { status: 204, outcome: "verify", eventType: "WEB_HOOK_VERIFY" };
    await expect(h.handle({ rawBody: Buffer.from(JSON.stringify(verify)), headers: {} })).resolves.toEqual(
      expected,
    );
    await expect(h.deliver(verify)).resolves.toEqual(expected);
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
    expect(h.source.fetches).toEqual([]);
    expect(h.metrics).toEqual([
      { eventType: "WEB_HOOK_VERIFY", outcome: "verify" },
      { eventType: "WEB_HOOK_VERIFY", outcome: "verify" },
    ]);
  });
});
