import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../src/index.ts";
import { api, control, createChannel, createConversation } from "./support/gateway-client.ts";
import { waitFor } from "./support/wait-for.ts";
import {
  startWebhookReceiver,
  type ReceivedEvent,
  type WebhookReceiver,
} from "./support/webhook-receiver.ts";

let sim: Simulator;
let receiver: WebhookReceiver;
beforeEach(async () => {
  sim = await createSimulator({ typingTimeoutMs: 40 });
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await sim.close();
  await receiver.close();
});

/** Waits until the receiver accepted `count` events of the conversation, then returns their labels. */
async function labelsAfter(conversationId: string, count: number): Promise<string[]> {
  return waitFor(() => receiver.labels(conversationId).length >= count && receiver.labels(conversationId), {
    what: `${count} events`,
  });
}

function eventsOf(conversationId: string): ReceivedEvent[] {
  return receiver
    .accepted()
    .map((r) => r.event)
    .filter((event) => event.conversationId === conversationId);
}

describe("conversation lifecycle events", () => {
  it("emits the documented order from create through transfer, close, idle restart and user leave", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId, {
      history: {
        messages: [
          { authorType: "user", text: "I need help" },
          { authorType: "bot", text: "Connecting you" },
        ],
      },
    });
    const expected = ["CONVERSATION_UPDATE:created", "CONVERSATION_UPDATE:active/queue", "QUEUED:311"];
    expect(await labelsAfter(id, 3)).toEqual(expected);

    expect(
      (await api(sim, "POST", `/conversations/${id}/messages`, { authorType: "user", text: "hello?" }))
        .status,
    ).toBe(202);
    expected.push("MESSAGE:user/echo");

    expect((await control(sim, "POST", `/conversations/${id}/accept`, { agentId: "agent-ben" })).status).toBe(
      200,
    );
    expected.push("MEMBERS_CHANGED:agent/joined", "CONVERSATION_UPDATE:active/agent");

    await control(sim, "POST", `/conversations/${id}/typing`);
    await control(sim, "POST", `/conversations/${id}/messages`, { text: "Hi, Ben here" });
    expected.push("ACTIVITY:typing/start", "ACTIVITY:typing/stop", "MESSAGE:agent/new");

    await api(sim, "POST", `/conversations/${id}/messages`, { authorType: "bot", text: "(bot note)" });
    expected.push("MESSAGE:bot/echo");
    expect(await labelsAfter(id, expected.length)).toEqual(expected);

    // Typing with no message afterwards stops on its own after typingTimeoutMs.
    await control(sim, "POST", `/conversations/${id}/typing`);
    expected.push("ACTIVITY:typing/start", "ACTIVITY:typing/stop");
    expect(await labelsAfter(id, expected.length)).toEqual(expected);

    expect((await control(sim, "POST", `/conversations/${id}/transfer`, { queueId: "312" })).status).toBe(
      200,
    );
    expected.push("TRANSFER", "MEMBERS_CHANGED:agent/left", "QUEUED:312", "CONVERSATION_UPDATE:active/queue");

    await control(sim, "POST", `/conversations/${id}/accept`);
    expected.push("MEMBERS_CHANGED:agent/joined", "CONVERSATION_UPDATE:active/agent");

    await control(sim, "POST", `/conversations/${id}/close`);
    expected.push("MEMBERS_CHANGED:agent/left", "CONVERSATION_UPDATE:idle/agent");
    expect(await labelsAfter(id, expected.length)).toEqual(expected);

    // A message while idle starts a new interaction in the last queue.
    await api(sim, "POST", `/conversations/${id}/messages`, { authorType: "user", text: "one more thing" });
    expected.push("CONVERSATION_UPDATE:active/queue", "QUEUED:312", "MESSAGE:user/echo");

    await control(sim, "POST", `/conversations/${id}/accept`);
    expected.push("MEMBERS_CHANGED:agent/joined", "CONVERSATION_UPDATE:active/agent");

    expect(
      (await api(sim, "PATCH", `/conversations/${id}/participants/user`, { removed: true })).status,
    ).toBe(204);
    expected.push(
      "MEMBERS_CHANGED:user/left",
      "MEMBERS_CHANGED:agent/left",
      "CONVERSATION_UPDATE:idle/agent",
    );
    expect(await labelsAfter(id, expected.length)).toEqual(expected);

    const events = eventsOf(id);
    const timestamps = events.map((event) => event.timestamp ?? 0);
    expect(timestamps.every((t, i) => i === 0 || t > (timestamps[i - 1] ?? 0))).toBe(true);
    expect(events.find((e) => e.eventType === "TRANSFER")).not.toHaveProperty("data");
    expect(events.find((e) => e.eventType === "QUEUED")?.data).toEqual({
      queueId: "311",
      queueName: "Support EN",
    });
    expect(events.find((e) => e.eventType === "MEMBERS_CHANGED")?.data).toEqual({
      memberType: "agent",
      change: "joined",
      id: "agent-ben",
    });
    expect(events.find((e) => e.eventType === "MESSAGE" && e.data?.["isEcho"] === false)?.data).toEqual({
      isEcho: false,
      sender: { id: "agent-ben", type: "agent" },
      text: "Hi, Ben here",
      attachments: [],
      cards: [],
    });
    expect(events[0]?.data).toMatchObject({
      state: "created",
      user: { name: "Ana Pereira", additionalProperties: [{ key: "Plan", value: "gold" }] },
    });
  });

  it("keeps the full message history, including history given at create, with author types", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId, {
      history: {
        messages: [
          { authorType: "user", text: "first" },
          { authorType: "bot", text: "second" },
        ],
      },
    });
    await api(sim, "POST", `/conversations/${id}/messages`, { authorType: "user", text: "third" });
    await control(sim, "POST", `/conversations/${id}/accept`);
    await control(sim, "POST", `/conversations/${id}/messages`, { text: "fourth" });

    const list = await control<{ messages: Array<{ text: string; author: { type: string } }> }>(
      sim,
      "GET",
      `/conversations/${id}/messages`,
    );
    expect(list.body.messages.map((m) => `${m.author.type}:${m.text}`)).toEqual([
      "user:first",
      "bot:second",
      "user:third",
      "agent:fourth",
    ]);
    const participants = await api<{
      _embedded: { participants: Array<{ id: string; type: string; removed: boolean }> };
    }>(sim, "GET", `/conversations/${id}/participants`);
    expect(participants.body._embedded.participants).toEqual(
      expect.arrayContaining([
        { id: "user", type: "user", removed: false },
        { id: "bot", type: "bot", removed: false },
        { id: "agent-anna", type: "agent", removed: false },
      ]),
    );
  });

  it("removes a queued conversation from the queue when the user leaves", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await api(sim, "PATCH", `/conversations/${id}/participants/user`, { removed: true });
    expect(await labelsAfter(id, 5)).toEqual([
      "CONVERSATION_UPDATE:created",
      "CONVERSATION_UPDATE:active/queue",
      "QUEUED:311",
      "MEMBERS_CHANGED:user/left",
      "CONVERSATION_UPDATE:idle/queue",
    ]);
    const accept = await control<{ error: { code: string } }>(sim, "POST", `/conversations/${id}/accept`);
    expect(accept.status).toBe(409);
    expect(sim.conversations()[0]).toMatchObject({ status: "idle", state: "idle" });
    const conversation = await api(sim, "GET", `/conversations/${id}`);
    expect(conversation.body).toMatchObject({ id, channelId, state: "idle" });
  });

  it("routes a script-assigned conversation to a queue when it is PATCHed to one", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId, {
      assignment: { type: "script", id: "welcome-bot" },
    });
    expect(await labelsAfter(id, 2)).toEqual([
      "CONVERSATION_UPDATE:created",
      "CONVERSATION_UPDATE:active/script",
    ]);
    expect(sim.conversations()[0]?.status).toBe("bot");

    const patched = await api(sim, "PATCH", `/conversations/${id}`, {
      assignment: { type: "queue", id: "312" },
    });
    expect(patched.status).toBe(202);
    expect(patched.body).toMatchObject({ id, state: "active", assignment: { type: "queue", id: "312" } });
    expect(await labelsAfter(id, 4)).toEqual([
      "CONVERSATION_UPDATE:created",
      "CONVERSATION_UPDATE:active/script",
      "CONVERSATION_UPDATE:active/queue",
      "QUEUED:312",
    ]);
  });

  it("PUT with the current queue only updates the user; a different queue moves the conversation", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await control(sim, "POST", `/conversations/${id}/accept`);
    const sameQueue = { channelId, user: { name: "Ana P." }, assignment: { type: "queue", id: "311" } };
    const put = await api(sim, "PUT", `/conversations/${id}`, sameQueue);
    expect(put.status).toBe(202);
    expect(put.body).toMatchObject({
      state: "active",
      assignment: { type: "agent", id: "agent-anna" },
      user: { name: "Ana P." },
    });
    await api(sim, "PATCH", `/conversations/${id}`, { assignment: { type: "queue", id: "312" } });
    expect((await labelsAfter(id, 9)).slice(3)).toEqual([
      "MEMBERS_CHANGED:agent/joined",
      "CONVERSATION_UPDATE:active/agent",
      "CONVERSATION_UPDATE:active/agent",
      "MEMBERS_CHANGED:agent/left",
      "CONVERSATION_UPDATE:active/queue",
      "QUEUED:312",
    ]);
    const invalid = await api(sim, "PATCH", `/conversations/${id}`, {
      assignment: { type: "queue", id: "999" },
    });
    expect(invalid.status).toBe(400);
    expect((await api(sim, "PATCH", `/conversations/${id}`, {})).status).toBe(400);
  });

  it("uses the channel's routing queue when the conversation has no assignment", async () => {
    const channelId = await createChannel(sim, receiver, "312");
    const id = await createConversation(sim, channelId);
    expect(await labelsAfter(id, 3)).toContain("QUEUED:312");
  });
});
