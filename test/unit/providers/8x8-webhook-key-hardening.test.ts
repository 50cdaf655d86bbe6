import { describe, expect, it } from "vitest";
import {
  createReceiverHarness,
  rejectionOf,
  shareReceiverStoreInFile,
} from "../../factories/eight-by-eight-receiver.ts";
import { signedDelivery, type SigningKey } from "../../factories/eight-by-eight-webhooks.ts";
import { capturedLogger } from "../runtime/runtime-test-kit.ts";

shareReceiverStoreInFile();

const event = {
  eventType: "MEMBERS_CHANGED",
  conversationId: "cv_hard1",
  timestamp: 1767225655001,
  data: { memberType: "agent", change: "joined", id: "ag1" },
};

/** The issuer's key material under another kid: a forger who picks kids at will. */
function withKid(key: SigningKey, kid: string): SigningKey {
  return { ...key, kid };
}

describe("8x8 webhook receiver: forged key ids cost little", () => {
  it("answers 401 to an unknown kid and fetches it once for many requests", async () => {
    const h = await createReceiverHarness();
    const forged = withKid(h.key, "forged-kid");
    const errors = await Promise.all(
      Array.from({ length: 5 }, () => rejectionOf(h.deliver(event, { key: forged }))),
    );
    for (let n = 0; n < 5; n += 1) errors.push(await rejectionOf(h.deliver(event, { key: forged })));
    expect(new Set(errors.map((e) => `${e.code} ${e.status}`))).toEqual(
      new Set(["BATON_ERR_WEBHOOK_SIGNATURE_INVALID 401"]),
    );
    expect(h.source.fetches).toEqual(["forged-kid"]);
    expect(new Set(h.metrics.map((m) => m.outcome))).toEqual(new Set(["rejected_signature"]));
    expect(await h.store.webhookEvents.list({ providerId: h.providerId })).toEqual([]);
  });

  it("asks about an unknown kid again once the 30 s negative cache expires, and accepts it once published", async () => {
    const h = await createReceiverHarness();
    const rotated = withKid(h.key, "key2");
    expect((await rejectionOf(h.deliver(event, { key: rotated }))).status).toBe(401);
    h.advanceClock(29_000);
    expect((await rejectionOf(h.deliver(event, { key: rotated }))).status).toBe(401);
    expect(h.source.fetches).toEqual(["key2"]);
    h.source.publish(rotated);
    h.advanceClock(2_000);
    await expect(h.deliver(event, { key: rotated })).resolves.toMatchObject({ outcome: "accepted" });
    expect(h.source.fetches).toEqual(["key2", "key2"]);
  });

  it("answers 503 KEY_UNAVAILABLE only when the key endpoint is down (5xx or unreachable)", async () => {
    const h = await createReceiverHarness();
    h.source.failNext(1);
    const error = await rejectionOf(h.deliver(event));
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_KEY_UNAVAILABLE", 503]);
    const unreachable = await createReceiverHarness({
      fetchJwk: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:9")),
    });
    const down = await rejectionOf(unreachable.deliver(event));
    expect([down.code, down.status]).toEqual(["BATON_ERR_WEBHOOK_KEY_UNAVAILABLE", 503]);
  });

  it("caps key fetches across kids per window, while a cached kid keeps working", async () => {
    const h = await createReceiverHarness({ maxKeyFetchesPerWindow: 3, keyFetchWindowMs: 60_000 });
    await expect(h.deliver(event)).resolves.toMatchObject({ outcome: "accepted" });
    for (let n = 0; n < 10; n += 1) {
      const error = await rejectionOf(h.deliver(event, { key: withKid(h.key, `random-${n}`) }));
      expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_SIGNATURE_INVALID", 401]);
    }
    expect(h.source.fetches).toEqual(["key1", "random-0", "random-1"]);
    await expect(h.deliver(event, { eventId: "evt-during-cap" })).resolves.toMatchObject({
      outcome: "accepted",
    });
    h.advanceClock(60_000);
    await rejectionOf(h.deliver(event, { key: withKid(h.key, "random-after") }));
    expect(h.source.fetches).toEqual(["key1", "random-0", "random-1", "random-after"]);
  });

  it.each([".", ".."])("refuses the kid %j as malformed without fetching", async (kid) => {
    const h = await createReceiverHarness();
    const error = await rejectionOf(h.deliver(event, { key: withKid(h.key, kid) }));
    expect([error.code, error.status]).toEqual(["BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED", 401]);
    expect(h.source.fetches).toEqual([]);
  });

  it("accepts dots inside a kid", async () => {
    const h = await createReceiverHarness();
    const dotted = withKid(h.key, "key.v2...");
    h.source.publish(dotted);
    await expect(h.deliver(event, { key: dotted })).resolves.toMatchObject({ outcome: "accepted" });
  });

  it("writes exactly one warn line per rejection, whatever the reason", async () => {
    const { lines, logger } = capturedLogger();
    const h = await createReceiverHarness({ logger });
    const signature = (key: SigningKey, transmissionTime = h.now()) =>
      signedDelivery({ key, body: event, transmissionTime });
    const requests = [
      signature(withKid(h.key, "unknown-kid")),
      signature(withKid(h.key, "..")),
      signature(h.key, h.now() - 301_000),
      { rawBody: Buffer.from("{}"), headers: {} },
    ];
    for (const request of requests) await rejectionOf(h.handle(request));
    h.source.failNext(1);
    const down = signature(withKid(h.key, "other-kid"));
    await rejectionOf(h.handle(down));
    const rejected = lines.filter((line) => line.msg === "8x8 webhook request rejected");
    expect(lines.filter((line) => (line.level as number) >= 40)).toEqual(rejected);
    expect(rejected.map((line) => [line.level, line.code])).toEqual([
      [40, "BATON_ERR_WEBHOOK_SIGNATURE_INVALID"],
      [40, "BATON_ERR_WEBHOOK_SIGNATURE_MALFORMED"],
      [40, "BATON_ERR_WEBHOOK_STALE"],
      [40, "BATON_ERR_WEBHOOK_SIGNATURE_MISSING"],
      [40, "BATON_ERR_WEBHOOK_KEY_UNAVAILABLE"],
    ]);
    const output = JSON.stringify(lines);
    for (const request of [...requests, down]) {
      const value = (request.headers as Record<string, string | undefined>)["x-8x8-signature"];
      if (value !== undefined) expect(output).not.toContain(value.split("..")[1]);
    }
  });
});
