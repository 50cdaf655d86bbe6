import { describe, expect, it } from "vitest";
import type { WebchatServerFrame } from "../../src/protocol/webchat.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { frameAfter, reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

type TypingFrame = Extract<WebchatServerFrame, { type: "typing" }>;
const agentTyping =
  (active: boolean) =>
  (f: WebchatServerFrame): f is TypingFrame =>
    f.type === "typing" && f.source === "agent" && f.active === active;

/** While an agent holds the conversation, typing goes both ways: 8x8 ACTIVITY → web chat, web chat → 8x8. */
describe("typing both ways during a handover, over real sockets", () => {
  it("shows the agent typing to the user (on, then off) and the user typing in the 8x8 conversation", async () => {
    // The simulator stops an agent's typing after typingTimeoutMs without a message.
    const { simulator, gateway, webToken } = await startEmbedded({ simulator: { typingTimeoutMs: 300 } });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ivo", sessionId: "s-typing" });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "ivo");

    const from = chat.frames.length;
    await agent.typing(waiting.id);
    const on = await frameAfter(chat, from, agentTyping(true));
    const off = await frameAfter(chat, from, agentTyping(false));
    expect(chat.frames.indexOf(off)).toBeGreaterThan(chat.frames.indexOf(on));

    // Typing and then writing: the indicator goes off before the message arrives.
    const next = chat.frames.length;
    await agent.typing(waiting.id);
    await frameAfter(chat, next, agentTyping(true));
    await agent.say(waiting.id, "Here is the answer.");
    const message = await frameAfter(
      chat,
      next,
      (f): f is Extract<WebchatServerFrame, { type: "message" }> =>
        f.type === "message" && f.message.text === "Here is the answer.",
    );
    const stopped = await frameAfter(chat, next, agentTyping(false));
    expect(chat.frames.indexOf(stopped)).toBeLessThan(chat.frames.indexOf(message));

    expect(simulator.conversations().find((c) => c.id === waiting.id)?.userTyping).toBe(false);
    chat.send({ type: "typing", active: true });
    await agent.waitForConversation((c) => c.id === waiting.id && c.userTyping);
  });
});
