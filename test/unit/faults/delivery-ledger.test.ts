import { describe, expect, it } from "vitest";
import {
  measureDirection,
  messageText,
  parseMessageText,
  percentile,
  type ObservedMessage,
  type SentMessage,
} from "../../faults/delivery-ledger.ts";

/** The fault suite's figures (test/faults/): what it counts as lost, duplicated, out of order, and lag. */

const sent = (
  conversation: number,
  seq: number,
  sentAt: number,
  phase = "before the crash",
): SentMessage => ({
  conversation,
  seq,
  sentAt,
  phase,
});
const copy = (seq: number, at: number): ObservedMessage => ({ seq, at });

describe("the fault suite's delivery ledger", () => {
  it("reads back the conversation and sequence number it wrote, and nothing else", () => {
    const text = messageText("userToAgent", 7, 42);
    expect(text).toBe("u2a c7 #42");
    expect(parseMessageText("userToAgent", text)).toEqual({ conversation: 7, seq: 42 });
    expect(parseMessageText("agentToUser", text)).toBeUndefined();
    expect(parseMessageText("userToAgent", "u2a c7 #42 and more")).toBeUndefined();
    expect(parseMessageText("userToAgent", undefined)).toBeUndefined();
  });

  it("counts a clean run as all delivered, with lag from writing to arrival", () => {
    const report = measureDirection({
      sent: [sent(0, 1, 1_000), sent(0, 2, 2_000), sent(1, 1, 1_500)],
      observed: new Map([
        [0, [copy(1, 1_100), copy(2, 2_300)]],
        [1, [copy(1, 1_550)]],
      ]),
    });
    expect(report.figures).toEqual({
      sent: 3,
      delivered: 3,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      unexpected: 0,
      lagP50Ms: 100,
      lagP99Ms: 300,
      lagMaxMs: 300,
      // 3 messages from the first written (1000) to the last delivered (2300).
      throughputPerSecond: 2.3,
    });
    expect(report.lost).toEqual([]);
  });

  it("names every message that never arrived, with the phase it was written in", () => {
    const report = measureDirection({
      sent: [sent(0, 1, 0), sent(0, 2, 10, "during the outage"), sent(1, 1, 20, "after the outage")],
      observed: new Map([[0, [copy(1, 5)]]]),
    });
    expect(report.figures.lost).toBe(2);
    expect(report.lost.map((m) => [m.conversation, m.seq, m.phase])).toEqual([
      [0, 2, "during the outage"],
      [1, 1, "after the outage"],
    ]);
  });

  it("counts each copy beyond the first as a duplicate, and a duplicate is not also out of order", () => {
    const report = measureDirection({
      sent: [sent(0, 1, 0), sent(0, 2, 0), sent(0, 3, 0)],
      observed: new Map([[0, [copy(1, 1), copy(2, 2), copy(1, 3), copy(3, 4), copy(1, 5)]]]),
    });
    expect(report.figures.duplicated).toBe(2);
    expect(report.duplicated).toEqual([{ conversation: 0, seq: 1, copies: 3, phase: "before the crash" }]);
    expect(report.figures.outOfOrder).toBe(0);
    // Lag is taken from the first copy.
    expect(report.figures.lagMaxMs).toBe(4);
  });

  it("counts a message shown after a later one of its conversation as out of order, per conversation", () => {
    const report = measureDirection({
      sent: [sent(0, 1, 0), sent(0, 2, 0), sent(0, 3, 0), sent(1, 1, 0), sent(1, 2, 0)],
      observed: new Map([
        [0, [copy(2, 1), copy(1, 2), copy(3, 3)]],
        // Conversation 1 in order, though it was delivered "before" conversation 0's messages.
        [1, [copy(1, 0), copy(2, 0)]],
      ]),
    });
    expect(report.figures.outOfOrder).toBe(1);
    expect(report.outOfOrder).toEqual([
      { conversation: 0, seq: 1, shownAfter: 2, phase: "before the crash" },
    ]);
  });

  it("counts copies of messages nobody wrote as unexpected, not as delivered", () => {
    const report = measureDirection({
      sent: [sent(0, 1, 0)],
      observed: new Map([[0, [copy(1, 1), copy(9, 2), copy(-1, 3)]]]),
    });
    expect(report.figures).toMatchObject({ delivered: 1, unexpected: 2, lost: 0, duplicated: 0 });
  });

  it("has no lag or throughput when nothing arrived", () => {
    const report = measureDirection({ sent: [sent(0, 1, 0)], observed: new Map() });
    expect(report.figures).toMatchObject({
      delivered: 0,
      lost: 1,
      lagP50Ms: null,
      lagP99Ms: null,
      lagMaxMs: null,
      throughputPerSecond: null,
    });
  });

  it("takes percentiles by nearest rank", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 99)).toBeNull();
  });
});
