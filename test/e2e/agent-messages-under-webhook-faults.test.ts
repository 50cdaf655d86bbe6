import { describe, expect, it } from "vitest";
import type { Faults } from "../../simulator/src/index.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

/**
 * As docs/guarantees.md promises, every inbound 8x8 event is de-duplicated on `x-8x8-event-id` and applied in
 * per-conversation order. With the simulator duplicating every delivery, or holding every event so that the
 * next one overtakes it, the user still sees each of the agent's ten messages exactly once and in the order
 * the agent wrote them. The gateway runs with the provider's default reorder window (250 ms).
 */
describe("agent messages under webhook faults, over real sockets", () => {
  // Either fault breaks the expectations below when the gateway's guard is off (checked by hand: with
  // `reorderWindowMs: 0` the reorder case fails with the messages swapped).
  const faults: [string, Partial<Faults>][] = [
    ["every event delivered twice", { duplicateRate: 1 }],
    ["every event held so the next overtakes it", { reorderRate: 1 }],
  ];

  it.each(faults)("%s: each agent message once, in order", async (_name, fault) => {
    const { simulator, gateway, webToken } = await startEmbedded();
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "finn", sessionId: "s-faults" });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "finn");

    simulator.setFaults(fault);
    const written = Array.from({ length: 10 }, (_, i) => `Agent message ${i + 1} of 10`);
    for (const text of written) await agent.say(waiting.id, text);
    await chat.waitForMessage(says("agent", written.at(-1)!), 15_000);

    // The agent closes: that event is applied after every message event before it, so once the user is back
    // with the bot, any late duplicate has been dealt with.
    await agent.close(waiting.id);
    await chat.waitForMessage(says("bot", "Welcome back"), 15_000);
    await simulator.settled();

    expect(
      chat
        .messages()
        .filter((m) => m.source === "agent")
        .map((m) => m.text),
    ).toEqual(written);
    const seqs = chat.messages().map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    if (fault.duplicateRate === 1) {
      // The duplicates were really sent, with the same event ids as the first deliveries.
      const duplicates = simulator
        .webhookLog()
        .filter((a) => a.conversationId === waiting.id && a.eventType === "MESSAGE" && a.duplicate === true);
      expect(duplicates.length).toBeGreaterThanOrEqual(written.length);
    }
  });
});
