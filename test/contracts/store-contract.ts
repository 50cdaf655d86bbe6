import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { NewWebhookEvent, Store } from "../../src/store/types.ts";

let counter = 0;
export function webhookEvent(overrides: Partial<NewWebhookEvent> = {}): NewWebhookEvent {
  counter += 1;
  return {
    providerId: "eight",
    eventId: `evt-${counter}-${Math.random().toString(16).slice(2)}`,
    eventType: "MESSAGE",
    conversationId: "conv-1",
    eventTimestamp: 1_767_225_600_000 + counter,
    retry: 0,
    body: '{"eventType":"MESSAGE"}',
    ...overrides,
  };
}

/**
 * The behaviour every Store implementation must have (house style 3). Run against PGlite in `npm test`
 * and against PostgreSQL in the services suite; each run gets a fresh database or schema from `open`.
 */
export function runStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    // One database per suite (starting PGlite costs seconds); every test works under its own provider id,
    // so tests cannot see each other's rows.
    let provider = "";

    beforeAll(async () => {
      store = await open();
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
    });
    beforeEach(() => {
      counter += 1;
      provider = `provider-${counter}`;
    });
    const event = (overrides: Partial<NewWebhookEvent> = {}) =>
      webhookEvent({ providerId: provider, ...overrides });

    it("migrates idempotently: a second run applies nothing", async () => {
      expect(await store.migrate()).toEqual({ applied: [] });
    });

    it("answers a ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("records a webhook event once and counts later deliveries as duplicates", async () => {
      const e = event();
      const first = await store.webhookEvents.recordIfNew(e);
      const second = await store.webhookEvents.recordIfNew({ ...e, retry: 1 });
      expect(first.inserted).toBe(true);
      expect(second).toEqual({ inserted: false, seq: first.seq });
      const stored = await store.webhookEvents.find(e.providerId, e.eventId);
      expect(stored).toMatchObject({ ...e, status: "pending", duplicates: 1, retry: 0, processedAt: null });
      expect(stored?.receivedAt).toBeInstanceOf(Date);
    });

    it("stores exactly one of many concurrent deliveries of the same event id", async () => {
      const e = event();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, retry) => store.webhookEvents.recordIfNew({ ...e, retry })),
      );
      expect(results.filter((r) => r.inserted)).toHaveLength(1);
      expect((await store.webhookEvents.find(e.providerId, e.eventId))?.duplicates).toBe(7);
    });

    it("keeps the same event id of different providers apart", async () => {
      const e = event();
      expect((await store.webhookEvents.recordIfNew(e)).inserted).toBe(true);
      expect(
        (await store.webhookEvents.recordIfNew({ ...e, providerId: `${provider}-other` })).inserted,
      ).toBe(true);
    });

    it("lists pending events oldest first and drops them once done", async () => {
      const a = event();
      const b = event({ conversationId: "conv-2" });
      const c = event({ conversationId: null, eventType: "WEB_HOOK_VERIFY" });
      for (const e of [a, b, c]) await store.webhookEvents.recordIfNew(e);
      await store.webhookEvents.markDone(b.providerId, b.eventId, "processed");
      const pending = await store.webhookEvents.listPending(provider);
      expect(pending.map((e) => e.eventId)).toEqual([a.eventId, c.eventId]);
      expect(pending[1]?.conversationId).toBeNull();
      const done = await store.webhookEvents.find(b.providerId, b.eventId);
      expect(done?.status).toBe("processed");
      expect(done?.processedAt).toBeInstanceOf(Date);
    });

    it("keeps the error of a failed event", async () => {
      const e = event();
      await store.webhookEvents.recordIfNew(e);
      await store.webhookEvents.markDone(e.providerId, e.eventId, "failed", "handler threw");
      expect(await store.webhookEvents.find(e.providerId, e.eventId)).toMatchObject({
        status: "failed",
        error: "handler threw",
      });
    });

    it("lists events newest first, filtered by conversation and status, with a limit", async () => {
      const events = [event(), event(), event({ conversationId: "conv-9" })];
      for (const e of events) await store.webhookEvents.recordIfNew(e);
      await store.webhookEvents.markDone(provider, events[0]!.eventId, "ignored");
      const conv1 = await store.webhookEvents.list({ providerId: provider, conversationId: "conv-1" });
      expect(conv1.map((e) => e.eventId)).toEqual([events[1]!.eventId, events[0]!.eventId]);
      expect(
        (await store.webhookEvents.list({ providerId: provider, status: "ignored" })).map((e) => e.eventId),
      ).toEqual([events[0]!.eventId]);
      expect(await store.webhookEvents.list({ providerId: provider, limit: 1 })).toHaveLength(1);
    });

    it("keeps a body byte-for-byte, including non-ASCII text", async () => {
      const body = '{"eventType":"MESSAGE","data":{"text":"Grüße 👋 \\u0000"}}';
      const e = event({ body });
      await store.webhookEvents.recordIfNew(e);
      expect((await store.webhookEvents.find(e.providerId, e.eventId))?.body).toBe(body);
    });
  });
}
