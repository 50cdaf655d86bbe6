import { describe, expect, it } from "vitest";
import { createReceiverHarness, shareReceiverStoreInFile } from "../../factories/eight-by-eight-receiver.ts";
import { waitFor } from "../../factories/wait-for.ts";
import { capturedLogger } from "../runtime/runtime-test-kit.ts";

shareReceiverStoreInFile();

/**
 * Several gateway instances behind a load balancer: each receiver is one instance of the same provider, on
 * one store and one bus (the Redis case runs in test/services/webhook-order-across-instances.test.ts).
 */
function typing(conversationId: string, timestamp: number) {
  return { eventType: "ACTIVITY", conversationId, timestamp, data: { name: "typing", value: { users: [] } } };
}

describe("8x8 webhook receiver: one conversation's order across instances", () => {
  it("restores the payload order of two events that reached different instances within the window", async () => {
    const a = await createReceiverHarness({ reorderWindowMs: 150 });
    const b = a.peer();
    await a.deliver(typing("cv_1", 2_000), { eventId: "second" });
    await b.deliver(typing("cv_1", 1_000), { eventId: "first" });
    await Promise.all([a.receiver.idle(), b.receiver.idle()]);
    // A's window ended first: it handed on B's earlier event in its place, then its own.
    expect(a.handed.map((event) => event.eventId)).toEqual(["first", "second"]);
    expect(b.handed).toEqual([]);
    expect((await a.store.webhookEvents.find(a.providerId, "first"))?.status).toBe("processed");
  });

  it("hands each event on once, in payload order, when deliveries alternate between instances in shuffled order", async () => {
    // One record of what either instance handed on, in the order it happened.
    const handed: { by: string; eventId: string }[] = [];
    const recordAs = (by: string) => ({
      onEvent: (event: { eventId: string }) => {
        handed.push({ by, eventId: event.eventId });
        return Promise.resolve();
      },
    });
    const a = await createReceiverHarness({ reorderWindowMs: 200, ...recordAs("a") });
    const b = a.peer(recordAs("b"));
    const timestamps = [5, 2, 8, 1, 7, 3, 6, 4];
    await Promise.all(
      timestamps.map((ts, i) =>
        (i % 2 === 0 ? a : b).deliver(typing("cv_1", ts * 100), { eventId: `e${ts}` }),
      ),
    );
    await Promise.all([a.receiver.idle(), b.receiver.idle()]);
    expect(handed.map((h) => h.eventId)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"]);
    expect(await a.store.webhookEvents.listPending(a.providerId)).toEqual([]);
  });

  it("logs an event as late when another instance already handed on a later one, and still hands it on", async () => {
    const { logger, lines } = capturedLogger();
    const a = await createReceiverHarness({ reorderWindowMs: 20 });
    const b = a.peer({ logger });
    await a.deliver(typing("cv_1", 5_000), { eventId: "newer" });
    await a.receiver.idle();
    await b.deliver(typing("cv_1", 3_000), { eventId: "older" });
    await b.receiver.idle();
    expect(b.handed.map((event) => event.eventId)).toEqual(["older"]);
    expect(lines.find((line) => String(line.msg).startsWith("late 8x8 event"))).toMatchObject({
      eventId: "older",
      latestHandedOn: 5_000,
    });
  });

  it("hands on an event whose instance stored it and died before handing it on", async () => {
    const h = await createReceiverHarness({ reorderWindowMs: 0, recoverAfterMs: 100 });
    await h.receiver.start();
    // What the dead instance left: stored (and answered 2xx), never handed on, no later event to pick it up.
    await h.store.webhookEvents.recordIfNew({
      providerId: h.providerId,
      eventId: "orphan",
      eventType: "ACTIVITY",
      conversationId: "cv_1",
      eventTimestamp: 1_000,
      retry: 0,
      body: JSON.stringify(typing("cv_1", 1_000)),
    });
    await waitFor(() => h.handed.length === 1, 10_000, "the recovery sweep to hand the event on");
    expect(h.handed.map((event) => event.eventId)).toEqual(["orphan"]);
    await waitFor(
      async () => (await h.store.webhookEvents.find(h.providerId, "orphan"))?.status === "processed",
      5_000,
      "the event to be marked processed",
    );
  });
});
