import { describe, expect, it } from "vitest";
import { createReceiverHarness, shareReceiverStoreInFile } from "../../factories/eight-by-eight-receiver.ts";

shareReceiverStoreInFile();

const agentMessage = {
  eventType: "MESSAGE",
  conversationId: "cv_1",
  timestamp: 1767225671234,
  data: { isEcho: false, sender: { id: "ag1", type: "agent" }, text: "Hello, I'm Sam." },
};

describe("8x8 webhook receiver: each event is handed on once, or deliberately not at all", () => {
  it("hands on a replayed event id exactly once, whatever x-8x8-retry says", async () => {
    const h = await createReceiverHarness();
    const outcomes = [];
    outcomes.push((await h.deliver(agentMessage, { eventId: "evt-r", retry: 0 })).outcome);
    outcomes.push((await h.deliver(agentMessage, { eventId: "evt-r", retry: 0 })).outcome);
    h.advanceClock(2_000);
    outcomes.push((await h.deliver(agentMessage, { eventId: "evt-r", retry: 1 })).outcome);
    outcomes.push((await h.deliver(agentMessage, { eventId: "evt-r", retry: 2 })).outcome);
    await h.receiver.idle();
    expect(outcomes).toEqual(["accepted", "duplicate", "duplicate", "duplicate"]);
    expect(h.handed.map((event) => event.eventId)).toEqual(["evt-r"]);
    expect(await h.store.webhookEvents.find(h.providerId, "evt-r")).toMatchObject({
      status: "processed",
      retry: 0,
      duplicates: 3,
    });
  });

  it("stores one of several concurrent deliveries of the same event", async () => {
    const h = await createReceiverHarness();
    const answers = await Promise.all(
      [0, 1, 2, 3].map((retry) => h.deliver(agentMessage, { eventId: "evt-c", retry })),
    );
    await h.receiver.idle();
    expect(answers.filter((a) => a.outcome === "accepted")).toHaveLength(1);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(h.handed).toHaveLength(1);
  });

  it.each([
    ["an echo of our own message", { isEcho: true, sender: { id: "ag1", type: "agent" }, text: "x" }],
    [
      "a user-authored message (never relayed back to the user)",
      { isEcho: false, sender: { id: "u", type: "user" } },
    ],
    ["a bot-authored message", { isEcho: false, sender: { id: "b", type: "bot" }, text: "x" }],
  ])("acknowledges %s, does not hand it on, and stores it as ignored", async (_name, data) => {
    const h = await createReceiverHarness();
    const answer = await h.deliver({ ...agentMessage, data }, { eventId: "evt-i" });
    await h.receiver.idle();
    expect(answer).toEqual({ status: 200, outcome: "ignored", eventType: "MESSAGE" });
    expect(h.handed).toEqual([]);
    expect((await h.store.webhookEvents.find(h.providerId, "evt-i"))?.status).toBe("ignored");
    expect(h.metrics).toEqual([{ eventType: "MESSAGE", outcome: "ignored" }]);
  });

  it("acknowledges an unknown eventType and stores it as ignored, labelled 'other' in metrics", async () => {
    const h = await createReceiverHarness();
    const answer = await h.deliver(
      { eventType: "AGENT_JOINED", conversationId: "cv_1", agentName: "Sam" },
      { eventId: "evt-u" },
    );
    expect(answer).toEqual({ status: 200, outcome: "ignored", eventType: "AGENT_JOINED" });
    expect(await h.store.webhookEvents.find(h.providerId, "evt-u")).toMatchObject({
      status: "ignored",
      eventType: "AGENT_JOINED",
      conversationId: "cv_1",
    });
    expect(h.metrics).toEqual([{ eventType: "other", outcome: "ignored" }]);
  });

  it("acknowledges an unknown ACTIVITY name and stores it as ignored", async () => {
    const h = await createReceiverHarness();
    const body = {
      eventType: "ACTIVITY",
      conversationId: "c",
      timestamp: 1,
      data: { name: "interactive/reply" },
    };
    await expect(h.deliver(body, { eventId: "evt-a" })).resolves.toMatchObject({
      status: 200,
      outcome: "ignored",
    });
    expect((await h.store.webhookEvents.find(h.providerId, "evt-a"))?.status).toBe("ignored");
  });

  it("acknowledges a known event it cannot read, and stores it as failed with the reason for replay", async () => {
    const h = await createReceiverHarness();
    const body = {
      eventType: "CONVERSATION_UPDATE",
      conversationId: "cv_1",
      timestamp: 1,
      data: { state: "closed" },
    };
    await expect(h.deliver(body, { eventId: "evt-bad" })).resolves.toMatchObject({
      status: 200,
      outcome: "ignored",
    });
    const stored = await h.store.webhookEvents.find(h.providerId, "evt-bad");
    expect(stored?.status).toBe("failed");
    expect(stored?.error).toMatch(/data\.state/);
    expect(stored?.body).toBe(JSON.stringify(body));
    expect(h.metrics).toEqual([{ eventType: "CONVERSATION_UPDATE", outcome: "unreadable" }]);
  });
});
