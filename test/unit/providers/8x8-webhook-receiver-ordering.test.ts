import { describe, expect, it } from "vitest";
import type { ProviderEvent } from "../../../src/providers/port.ts";
import { createReceiverHarness, shareReceiverStoreInFile } from "../../factories/eight-by-eight-receiver.ts";

shareReceiverStoreInFile();

function typing(conversationId: string, timestamp: number) {
  return { eventType: "ACTIVITY", conversationId, timestamp, data: { name: "typing", value: { users: [] } } };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("8x8 webhook receiver: per-conversation order", () => {
  it("restores the payload order of two events of one conversation delivered swapped within the window", async () => {
    const h = await createReceiverHarness({ reorderWindowMs: 200 });
    await h.deliver(
      { eventType: "TRANSFER", conversationId: "cv_1", timestamp: 2_000 },
      { eventId: "second" },
    );
    await h.deliver(
      {
        eventType: "MEMBERS_CHANGED",
        conversationId: "cv_1",
        timestamp: 1_000,
        data: { memberType: "agent", change: "left", id: "a1" },
      },
      { eventId: "first" },
    );
    await h.receiver.idle();
    expect(h.handed.map((event) => event.eventId)).toEqual(["first", "second"]);
  });

  it("hands on an event that arrives after a later one was already handed on, instead of dropping it", async () => {
    const h = await createReceiverHarness({ reorderWindowMs: 20 });
    await h.deliver(typing("cv_1", 5_000), { eventId: "newer" });
    await h.receiver.idle();
    await h.deliver(typing("cv_1", 3_000), { eventId: "older" });
    await h.receiver.idle();
    expect(h.handed.map((event) => event.eventId)).toEqual(["newer", "older"]);
    expect((await h.store.webhookEvents.find(h.providerId, "older"))?.status).toBe("processed");
  });

  it("hands events of one conversation on one at a time", async () => {
    const first = deferred();
    const log: string[] = [];
    const h = await createReceiverHarness({
      reorderWindowMs: 0,
      onEvent: async (event) => {
        log.push(`start ${event.eventId}`);
        if (event.eventId === "e1") await first.promise;
        log.push(`end ${event.eventId}`);
      },
    });
    await h.deliver(typing("cv_1", 1), { eventId: "e1" });
    await h.deliver(typing("cv_1", 2), { eventId: "e2" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(["start e1"]);
    first.resolve();
    await h.receiver.idle();
    expect(log).toEqual(["start e1", "end e1", "start e2", "end e2"]);
  });

  it("does not let a slow conversation hold up another one", async () => {
    const releaseA = deferred();
    const handed: ProviderEvent[] = [];
    const bHandled = deferred();
    const h = await createReceiverHarness({
      reorderWindowMs: 10,
      onEvent: async (event) => {
        if (event.conversationId === "cv_A") await releaseA.promise;
        handed.push(event);
        if (event.conversationId === "cv_B") bHandled.resolve();
      },
    });
    await h.deliver(typing("cv_A", 1), { eventId: "a1" });
    await h.deliver(typing("cv_B", 2), { eventId: "b1" });
    await bHandled.promise;
    expect(handed.map((event) => event.eventId)).toEqual(["b1"]);
    releaseA.resolve();
    await h.receiver.idle();
    expect(handed.map((event) => event.eventId)).toEqual(["b1", "a1"]);
  });
});
