import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import type { ProviderEvent } from "../../../src/providers/port.ts";
import { createReceiverHarness, shareReceiverStoreInFile } from "../../factories/eight-by-eight-receiver.ts";

shareReceiverStoreInFile();

const queued = {
  eventType: "QUEUED",
  conversationId: "cv_1",
  timestamp: 10,
  data: { queueId: "311", queueName: "Billing EN" },
};

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("8x8 webhook receiver: nothing accepted is lost", () => {
  it("hands on, at start, the events a crash left pending, in payload order", async () => {
    const h = await createReceiverHarness({ reorderWindowMs: 50 });
    const record = (eventId: string, body: object, timestamp: number) =>
      h.store.webhookEvents.recordIfNew({
        providerId: h.providerId,
        eventId,
        eventType: (body as { eventType: string }).eventType,
        conversationId: "cv_1",
        eventTimestamp: timestamp,
        retry: 0,
        body: JSON.stringify(body),
      });
    await record("p-late", { eventType: "TRANSFER", conversationId: "cv_1", timestamp: 20 }, 20);
    await record("p-early", queued, 10);
    await record("p-ignored", { eventType: "SOMETHING_NEW", conversationId: "cv_1" }, 0);
    await h.receiver.start();
    await h.receiver.idle();
    expect(h.handed.map((event) => [event.eventId, event.kind])).toEqual([
      ["p-early", "conversation.queued"],
      ["p-late", "conversation.transferred"],
    ]);
    expect(await h.store.webhookEvents.listPending(h.providerId)).toEqual([]);
    expect((await h.store.webhookEvents.find(h.providerId, "p-ignored"))?.status).toBe("ignored");
  });

  it("does not hand on twice an event accepted before start() ran", async () => {
    const h = await createReceiverHarness({ reorderWindowMs: 50 });
    await h.deliver(queued, { eventId: "early-bird" });
    await h.receiver.start();
    await h.receiver.idle();
    expect(h.handed.map((event) => event.eventId)).toEqual(["early-bird"]);
  });

  it("retries a failing handler, then marks the event failed with the error", async () => {
    let calls = 0;
    const h = await createReceiverHarness({
      reorderWindowMs: 0,
      handlerRetry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
      onEvent: () => {
        calls += 1;
        return Promise.reject(new Error("handover service unavailable"));
      },
    });
    await h.deliver(queued, { eventId: "evt-f" });
    await h.receiver.idle();
    expect(calls).toBe(3);
    expect(await h.store.webhookEvents.find(h.providerId, "evt-f")).toMatchObject({
      status: "failed",
      error: "handover service unavailable",
    });
  });

  it("marks an event processed when a retry succeeds", async () => {
    let calls = 0;
    const h = await createReceiverHarness({
      reorderWindowMs: 0,
      onEvent: () => (++calls === 1 ? Promise.reject(new Error("transient")) : Promise.resolve()),
    });
    await h.deliver(queued, { eventId: "evt-t" });
    await h.receiver.idle();
    expect(calls).toBe(2);
    expect((await h.store.webhookEvents.find(h.providerId, "evt-t"))?.status).toBe("processed");
  });

  it("on stop, hands on held events at once and refuses later deliveries with 503", async () => {
    const handed: ProviderEvent[] = [];
    const h = await createReceiverHarness({
      reorderWindowMs: 60_000,
      onEvent: (event) => {
        handed.push(event);
        return Promise.resolve();
      },
    });
    await h.deliver(queued, { eventId: "held" });
    expect(handed).toEqual([]);
    const started = Date.now();
    await h.receiver.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(handed.map((event) => event.eventId)).toEqual(["held"]);
    const error: unknown = await h.deliver(queued, { eventId: "after" }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe("BATON_ERR_SERVER_SHUTTING_DOWN");
    expect(await h.store.webhookEvents.find(h.providerId, "after")).toBeUndefined();
  });

  it("stops within its bound when a handler hangs, leaving unfinished events pending for the next start", async () => {
    const never = deferred();
    const h = await createReceiverHarness({
      reorderWindowMs: 0,
      stopTimeoutMs: 50,
      onEvent: () => never.promise,
    });
    await h.deliver(queued, { eventId: "stuck" });
    await h.deliver({ ...queued, timestamp: 11 }, { eventId: "behind" });
    await h.receiver.stop();
    expect((await h.store.webhookEvents.listPending(h.providerId)).map((e) => e.eventId)).toEqual([
      "stuck",
      "behind",
    ]);
    never.resolve();
  });

  it("leaves an event pending, not failed, when its handler fails during shutdown", async () => {
    const failing = deferred();
    const h = await createReceiverHarness({
      reorderWindowMs: 0,
      handlerRetry: { attempts: 5, initialDelayMs: 10_000 },
      onEvent: async () => {
        await failing.promise;
        throw new Error("store of the handover service went away");
      },
    });
    await h.deliver(queued, { eventId: "evt-s" });
    const stopping = h.receiver.stop();
    failing.resolve();
    await stopping;
    expect((await h.store.webhookEvents.find(h.providerId, "evt-s"))?.status).toBe("pending");
  });
});
