import { describe, expect, it } from "vitest";
import { startTraffic } from "../../faults/traffic.ts";

/** The fault suite's traffic (test/faults/traffic.ts): one schedule for both directions, held at gates. */
describe("the fault suite's traffic", () => {
  it("writes each conversation's messages in order, stops at each gate until released, and records refusals", async () => {
    const userWrites: string[] = [];
    const agentSends: string[] = [];
    let phase = "first";
    const traffic = startTraffic({
      messages: 9,
      conversations: 3,
      ratePerSecond: 1_000,
      gates: [3, 6],
      phase: () => phase,
      userWrites: (_conversation, text) => userWrites.push(text),
      agentSends: async (_conversation, text) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        agentSends.push(text);
        if (text === "a2u c1 #3") throw new Error("409 no_agent");
      },
    });

    await traffic.heldAt(3);
    expect(traffic.written()).toBe(3);
    expect(userWrites).toEqual(["u2a c0 #1", "u2a c1 #1", "u2a c2 #1"]);
    phase = "second";
    traffic.release(3);
    await traffic.heldAt(6);
    expect(traffic.written()).toBe(6);
    phase = "third";
    traffic.release(6);
    await traffic.done;

    expect(traffic.written()).toBe(9);
    expect(userWrites.filter((t) => t.startsWith("u2a c1 "))).toEqual([
      "u2a c1 #1",
      "u2a c1 #2",
      "u2a c1 #3",
    ]);
    expect(agentSends.filter((t) => t.startsWith("a2u c1 "))).toEqual([
      "a2u c1 #1",
      "a2u c1 #2",
      "a2u c1 #3",
    ]);
    expect(traffic.userToAgent.map((m) => m.phase)).toEqual([
      ...Array(3).fill("first"),
      ...Array(3).fill("second"),
      ...Array(3).fill("third"),
    ]);
    expect(traffic.agentToUser).toHaveLength(9);
    expect(traffic.agentRefusals).toEqual([{ conversation: 1, seq: 3, error: "Error: 409 no_agent" }]);
  });
});
