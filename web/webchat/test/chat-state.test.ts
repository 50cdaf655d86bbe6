import { describe, expect, it } from "vitest";
import type { ConversationMessage } from "../../../src/protocol/messages.ts";
import type { WebchatServerFrame } from "../../../src/protocol/webchat.ts";
import {
  type ChatEvent,
  type ChatState,
  initialChatState,
  reduce,
  showsQuickReplies,
} from "../src/chat-state.ts";

const identity = { userId: "u1", sessionId: "s1", locale: "en" };
const at = "2026-01-01T10:00:00.000Z";

function run(events: readonly ChatEvent[], from: ChatState = initialChatState(identity)) {
  let state = from;
  const sent: unknown[] = [];
  for (const event of events) {
    const result = reduce(state, event);
    state = result.state;
    sent.push(...result.effects.map((e) => e.frame));
  }
  return { state, sent };
}

const frame = (f: WebchatServerFrame): ChatEvent => ({ type: "frame", frame: f });
const message = (m: Partial<ConversationMessage> & { seq: number }): ChatEvent =>
  frame({ type: "message", message: { source: "bot", text: `m${m.seq}`, createdAt: at, ...m } });
const ready = (lastSeq = 0): ChatEvent => frame({ type: "ready", sessionKey: "k", lastSeq, locale: "en" });

describe("chat state", () => {
  it("says hello with the highest message seq seen, not the seq of an ack", () => {
    const { state, sent } = run([
      { type: "opened" },
      ready(),
      message({ seq: 1 }),
      message({ seq: 2 }),
      { type: "send", clientMessageId: "c1", text: "hi", createdAt: at },
      frame({ type: "ack", clientMessageId: "c1", seq: 4 }),
      { type: "closed" },
      { type: "opened" },
    ]);
    expect(state.lastSeq).toBe(2);
    expect(sent.at(-1)).toEqual({ type: "hello", userId: "u1", sessionId: "s1", lastSeq: 2, locale: "en" });
  });

  it("never shows a message twice and keeps seq order whatever the arrival order", () => {
    const { state } = run([
      message({ seq: 3 }),
      message({ seq: 1 }),
      message({ seq: 3 }),
      message({ seq: 2 }),
    ]);
    expect(state.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("queues messages while disconnected and resends them with the same clientMessageId on ready", () => {
    const { state, sent } = run([
      { type: "send", clientMessageId: "c1", text: "one", createdAt: at },
      { type: "send", clientMessageId: "c2", text: "two", createdAt: at },
      { type: "opened" },
      ready(),
    ]);
    expect(state.entries.map((e) => e.delivery)).toEqual(["sending", "sending"]);
    expect(sent.slice(1)).toEqual([
      { type: "message", clientMessageId: "c1", text: "one" },
      { type: "message", clientMessageId: "c2", text: "two" },
    ]);
  });

  it("an ack gives the message its seq; a replayed copy of it is then dropped", () => {
    const { state, sent } = run([
      { type: "opened" },
      ready(),
      { type: "send", clientMessageId: "c1", text: "hi", createdAt: at },
      frame({ type: "ack", clientMessageId: "c1", seq: 5 }),
      { type: "closed" },
      { type: "opened" },
      ready(),
      message({ seq: 5, source: "user", text: "hi" }),
      message({ seq: 6 }),
    ]);
    expect(state.entries.map((e) => [e.key, e.seq, e.delivery])).toEqual([
      ["c1", 5, "sent"],
      ["seq:6", 6, undefined],
    ]);
    // Acked messages are not resent on the second ready.
    expect(sent.filter((f) => (f as { type: string }).type === "message")).toHaveLength(1);
  });

  it("recognises its own message arriving before the ack (by clientMessageId or by seq)", () => {
    const byId = run([
      { type: "send", clientMessageId: "c1", text: "hi", createdAt: at },
      message({ seq: 7, source: "user", text: "hi", clientMessageId: "c1" }),
      frame({ type: "ack", clientMessageId: "c1", seq: 7 }),
    ]).state;
    expect(byId.entries.map((e) => [e.key, e.seq, e.delivery])).toEqual([["c1", 7, "sent"]]);

    const bySeq = run([
      { type: "send", clientMessageId: "c1", text: "hi", createdAt: at },
      message({ seq: 7, source: "user", text: "hi" }),
      frame({ type: "ack", clientMessageId: "c1", seq: 7 }),
    ]).state;
    expect(bySeq.entries.map((e) => e.seq)).toEqual([7]);
  });

  it("an error naming a message marks it not sent and stops resending it", () => {
    const { state, sent } = run([
      { type: "opened" },
      ready(),
      { type: "send", clientMessageId: "c1", text: "big", createdAt: at },
      frame({ type: "error", code: "BATON_ERR_X", message: "Too large.", clientMessageId: "c1" }),
      { type: "closed" },
      { type: "opened" },
      ready(),
    ]);
    expect(state.entries[0]?.delivery).toBe("failed");
    expect(state.notices).toMatchObject([{ kind: "server", code: "BATON_ERR_X", message: "Too large." }]);
    expect(sent.filter((f) => (f as { type: string }).type === "message")).toHaveLength(1);
  });

  it("retries a message marked not sent with its own clientMessageId, so the gateway stores it once", () => {
    const { state, sent } = run([
      { type: "opened" },
      ready(),
      { type: "send", clientMessageId: "c1", text: "hi", createdAt: at },
      frame({ type: "error", code: "BATON_ERR_X", message: "Refused.", clientMessageId: "c1" }),
      message({ seq: 2, source: "bot", text: "meanwhile" }),
      { type: "retry", clientMessageId: "c1" },
      // The gateway had stored it after all: the retry is acknowledged with the first seq, and its echo
      // (a replay, or the live frame) replaces the entry instead of adding one.
      frame({ type: "ack", clientMessageId: "c1", seq: 1 }),
      message({ seq: 1, source: "user", text: "hi", clientMessageId: "c1" }),
    ]);
    const messages = sent.filter((f) => (f as { type: string }).type === "message");
    expect(messages).toEqual([
      { type: "message", clientMessageId: "c1", text: "hi" },
      { type: "message", clientMessageId: "c1", text: "hi" },
    ]);
    expect(state.entries.map((e) => [e.seq, e.text, e.delivery])).toEqual([
      [1, "hi", "sent"],
      [2, "meanwhile", undefined],
    ]);
  });

  it("resends a retried message after a reconnect with the same clientMessageId until it is acknowledged", () => {
    const { state, sent } = run([
      { type: "opened" },
      ready(),
      { type: "send", clientMessageId: "c1", text: "hi", createdAt: at },
      frame({ type: "error", code: "BATON_ERR_X", message: "Refused.", clientMessageId: "c1" }),
      { type: "closed" },
      { type: "retry", clientMessageId: "c1" },
      { type: "opened" },
      ready(),
    ]);
    const ids = sent.flatMap((f) =>
      (f as { type: string }).type === "message" ? [(f as { clientMessageId: string }).clientMessageId] : [],
    );
    expect(ids).toEqual(["c1", "c1"]);
    expect(state.entries).toMatchObject([{ key: "c1", delivery: "sending" }]);
  });

  it("shows quick replies only until the person writes after them", () => {
    const offered = run([
      message({ seq: 1, quickReplies: [{ title: "Yes", payload: "y" }] }),
      message({ seq: 2 }),
    ]);
    expect(showsQuickReplies(offered.state.entries, 0)).toBe(true);
    const used = run([{ type: "send", clientMessageId: "c1", text: "Yes", createdAt: at }], offered.state);
    expect(showsQuickReplies(used.state.entries, 0)).toBe(false);
  });

  it("tracks typing, the handover banner, and clears typing when that side's message arrives", () => {
    const { state } = run([
      frame({ type: "handover", banner: { state: "queued", queueName: "Support", cancelLabel: "Cancel" } }),
      frame({ type: "typing", source: "agent", active: true, agentName: "Anna" }),
      frame({ type: "typing", source: "bot", active: true }),
      message({ seq: 1, source: "agent", agentName: "Anna" }),
    ]);
    expect(state.banner).toEqual({ state: "queued", queueName: "Support", cancelLabel: "Cancel" });
    expect(state.typing).toEqual({ bot: true, agent: false });
  });

  it("cancels a queued handover only while connected", () => {
    const queued = frame({ type: "handover", banner: { state: "queued", cancelLabel: "Cancel" } });
    expect(run([queued, { type: "cancelHandover" }]).sent).toEqual([]);
    expect(run([{ type: "opened" }, ready(), queued, { type: "cancelHandover" }]).sent.at(-1)).toEqual({
      type: "cancelHandover",
    });
  });

  it("starts over when the server's session is behind the page (store reset), keeping unsent messages", () => {
    const { state } = run([
      message({ seq: 1 }),
      message({ seq: 2 }),
      { type: "send", clientMessageId: "c1", text: "still here", createdAt: at },
      ready(0),
      message({ seq: 1, text: "new session" }),
    ]);
    expect(state.entries.map((e) => e.text)).toEqual(["new session", "still here"]);
    expect(state.lastSeq).toBe(1);
  });
});
