import { describe, expect, it } from "vitest";
import type { Faults } from "../../simulator/src/index.ts";
import { handoverOrderingKey } from "../../src/handover/outbox-items.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with the same faults. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * As docs/guarantees.md promises for the way from the user to the agent: with a fifth of 8x8's answers
 * failing, whether as a refusal (503, 429: nothing was stored, retried in-process) or as an answer lost after
 * the message was stored (the connection reset: ambiguous, so the next attempt looks at the conversation
 * first), the agent sees every message of the user exactly once and in the order written. The user repeats
 * "ok" on purpose: an equal message is not mistaken for a duplicate.
 */
describe("user messages under 8x8 faults, through the simulator", () => {
  const faults: [string, Partial<Faults>][] = [
    ["a fifth of the calls answered 503", { errorRate: 0.2, errorStatus: 503 }],
    ["a fifth of the calls answered 429", { errorRate: 0.2, errorStatus: 429 }],
    ["a fifth of the answers lost after the call was carried out", { lostResponseRate: 0.2 }],
  ];

  it.each(faults)("%s: each message once, in order", { timeout: 60_000 }, async (_name, fault) => {
    const { simulator, gateway, webToken } = await startEmbedded({ simulator: { random: seeded(11) } });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "mira", sessionId: "s-8x8-faults" });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "mira");
    const handover = await gateway.conversations.handovers.openFor(
      (await gateway.store.sessions.find({ endpointId: "web", userId: "mira", sessionId: "s-8x8-faults" }))!
        .id,
    );
    const before = (await agent.transcript(waiting.id)).filter((m) => m.authorType === "user").length;

    simulator.setFaults(fault);
    // "ok" twice in a row, now and then: the second is a message of its own, not a repeat to drop.
    const written = Array.from({ length: 24 }, (_, i) => (i % 6 >= 4 ? "ok" : `Message ${i + 1} of 24`));
    for (const text of written) await chat.say(text);
    // Every item of the handover done: nothing is still on its way that could arrive late or twice.
    await waitFor(
      async () =>
        (await gateway.store.outbox.listByKey(handoverOrderingKey(handover!.id))).every(
          (item) => item.status === "done",
        ),
      30_000,
      "every send of the handover done",
    );
    simulator.resetFaults();

    const shown = (await agent.transcript(waiting.id)).filter((m) => m.authorType === "user").slice(before);
    expect(shown.map((m) => m.text)).toEqual(written);
    // The faults really hit the posts of these messages (the seed makes it the same run every time).
    const posts = simulator
      .requestLog()
      .filter((r) => r.method === "POST" && r.path.endsWith(`/conversations/${waiting.id}/messages`));
    expect(posts.filter((r) => r.outcome !== "answered").length).toBeGreaterThanOrEqual(2);
  });
});
