import { describe, expect, it } from "vitest";
import type { WebchatServerFrame } from "../../src/protocol/webchat.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { askForHuman, frameAfter, isBanner, messageAfter, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

/**
 * 8x8 answering 503 to every call: the create is tried a few times (quickly: a user is waiting), then the
 * handover ends in `error`, the user is told, and the flow continues below the node (the demo's apology).
 * Nothing stays open: once 8x8 is back, a second handover in the same session goes through end to end.
 */
describe("8x8 failing at handover time, over real sockets", () => {
  it("tells the user, continues the flow with status error, and a later handover in the session works", async () => {
    // With only errorRate above 0, the simulator draws once per 8x8 API call: this counts the calls.
    let apiCalls = 0;
    const { simulator, gateway, webToken } = await startEmbedded({
      simulator: {
        random: () => {
          apiCalls += 1;
          return 0;
        },
      },
    });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "dora", sessionId: "s-503" });
    await chat.waitForMessage(says("bot", "demo bot"));

    simulator.setFaults({ errorRate: 1, errorStatus: 503 });
    apiCalls = 0;
    const from = chat.frames.length;
    await chat.say("talk to a human");
    await messageAfter(chat, from, says("bot", "connecting you with a person"));
    const told = await messageAfter(chat, from, says("system", "could not reach an agent"), 15_000);
    const apology = await messageAfter(chat, from, says("bot", "couldn't reach our support team"));
    expect(apology.seq).toBeGreaterThan(told.seq);
    await frameAfter(chat, from, isBanner("none"));
    // Three quick create attempts (the service's createAttempts), each refused before any side effect.
    expect(apiCalls).toBe(3);
    expect(simulator.conversations()).toEqual([]);
    const ready = await chat.waitForFrame(
      (f): f is Extract<WebchatServerFrame, { type: "ready" }> => f.type === "ready",
    );
    expect(await gateway.store.handovers.findOpenBySession(ready.sessionKey)).toBeUndefined();

    simulator.resetFaults();
    const waiting = await askForHuman(chat, agent, "dora");
    const second = chat.frames.length;
    await agent.accept(waiting.id, "agent-anna");
    await messageAfter(chat, second, says("system", "joined"));
    await frameAfter(chat, second, isBanner("active"));
    await agent.say(waiting.id, "Sorry for the wait, how can I help?");
    await messageAfter(chat, second, says("agent", "Sorry for the wait"));
    await chat.say("All good now, thanks");
    await agent.waitForConversation(
      (c) => c.id === waiting.id && c.lastMessage?.text === "All good now, thanks",
    );
    await agent.close(waiting.id);
    await messageAfter(chat, second, says("bot", "Welcome back"), 15_000);
    await frameAfter(chat, second, isBanner("none"));
  });
});
