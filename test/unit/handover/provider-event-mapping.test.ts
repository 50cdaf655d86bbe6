import { describe, expect, it } from "vitest";
import { toHandoverEvent } from "../../../src/handover/provider-events.ts";
import type { ProviderEvent } from "../../../src/providers/port.ts";

const base = { providerId: "eight", conversationId: "cv-1", eventId: "evt-1", occurredAt: 1_767_225_600_123 };
const at = base.occurredAt;

describe("provider events become handover events", () => {
  it("maps conversation.state with its assignment (type lower-cased) and without one", () => {
    expect(
      toHandoverEvent({
        ...base,
        kind: "conversation.state",
        state: "active",
        assignment: { type: "Queue", id: "311" },
        user: { name: "Ana" },
        channel: "ChatAPI",
      }),
    ).toEqual({
      type: "provider.conversationState",
      state: "active",
      assignment: { type: "queue", id: "311" },
      at,
    });
    expect(toHandoverEvent({ ...base, kind: "conversation.state", state: "idle" })).toEqual({
      type: "provider.conversationState",
      state: "idle",
      at,
    });
  });

  it("maps conversation.queued with and without a queue name", () => {
    expect(
      toHandoverEvent({ ...base, kind: "conversation.queued", queueId: "311", queueName: "Support EN" }),
    ).toEqual({ type: "provider.queued", queueId: "311", queueName: "Support EN", at });
    expect(toHandoverEvent({ ...base, kind: "conversation.queued", queueId: "311" })).toEqual({
      type: "provider.queued",
      queueId: "311",
      at,
    });
  });

  it("maps an agent joining and leaving", () => {
    expect(
      toHandoverEvent({ ...base, kind: "participant.joined", role: "agent", participantId: "agent-anna" }),
    ).toEqual({ type: "provider.agentJoined", agentId: "agent-anna", at });
    expect(
      toHandoverEvent({ ...base, kind: "participant.left", role: "agent", participantId: "agent-anna" }),
    ).toEqual({
      type: "provider.agentLeft",
      agentId: "agent-anna",
      at,
    });
  });

  it("maps the user leaving, and drops the user joining (Baton tracks the user through its own channels)", () => {
    expect(
      toHandoverEvent({ ...base, kind: "participant.left", role: "user", participantId: "user" }),
    ).toEqual({
      type: "provider.userLeft",
      at,
    });
    expect(
      toHandoverEvent({ ...base, kind: "participant.joined", role: "user", participantId: "user" }),
    ).toBeUndefined();
  });

  it("maps conversation.transferred", () => {
    expect(toHandoverEvent({ ...base, kind: "conversation.transferred" })).toEqual({
      type: "provider.transferred",
      at,
    });
  });

  it("maps agent messages with attachments and cards, and drops user, bot and system messages", () => {
    const attachments = [{ id: "att-1", kind: "file", fileName: "a.pdf", url: "https://files.example/a" }];
    const cards = [
      { contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard" } },
    ];
    const message = (role: "agent" | "user" | "bot" | "system"): ProviderEvent => ({
      ...base,
      kind: "message.received",
      sender: { id: `${role}-1`, role },
      text: "hello",
      attachments,
      cards,
    });
    expect(toHandoverEvent(message("agent"))).toEqual({
      type: "provider.agentMessage",
      agentId: "agent-1",
      text: "hello",
      attachments,
      cards,
      at,
    });
    for (const role of ["user", "bot", "system"] as const)
      expect(toHandoverEvent(message(role))).toBeUndefined();
  });

  it("maps typing: an agent among the typists is typing, an empty list (or only others) is stopped", () => {
    expect(
      toHandoverEvent({ ...base, kind: "typing", typists: [{ id: "agent-anna", role: "agent" }] }),
    ).toEqual({
      type: "provider.agentTyping",
      active: true,
      at,
    });
    expect(toHandoverEvent({ ...base, kind: "typing", typists: [] })).toEqual({
      type: "provider.agentTyping",
      active: false,
      at,
    });
    expect(toHandoverEvent({ ...base, kind: "typing", typists: [{ id: "user", role: "user" }] })).toEqual({
      type: "provider.agentTyping",
      active: false,
      at,
    });
  });

  it("maps card actions as they are", () => {
    expect(
      toHandoverEvent({
        ...base,
        kind: "card.action",
        cardKind: "quickReply",
        actionType: "postback",
        data: { title: "Cancel", payload: "x" },
      }),
    ).toEqual({
      type: "provider.cardAction",
      cardKind: "quickReply",
      actionType: "postback",
      data: { title: "Cancel", payload: "x" },
      at,
    });
  });

  it("drops read receipts (no channel sends them; nothing in the lifecycle depends on them)", () => {
    expect(
      toHandoverEvent({
        ...base,
        kind: "read.receipt",
        receipts: [{ readAt: at, readers: [{ id: "a", role: "agent" }] }],
      }),
    ).toBeUndefined();
  });
});
