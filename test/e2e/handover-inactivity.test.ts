import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { frameAfter, isBanner, messageAfter, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

const inactivityFlow = fileURLToPath(new URL("../fixtures/flows/handover-inactivity.yaml", import.meta.url));

/**
 * setHandoverInactivity with seconds precision (docs/flows.md; machine: "each expiry raises
 * inactivityCount and re-arms; each user message resets the count to 0"). The test flow arms 1 s once the
 * agent is in, warns on the first expiry and closes the handover on the second.
 */
describe("handover inactivity, over real sockets", () => {
  it("warns after about a second, a user message resets the count, the second expiry in a row closes", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({ flow: inactivityFlow });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "gus", sessionId: "s-idle" });
    await chat.waitForMessage(says("bot", "Type 'human'"));

    await chat.say("human please");
    await chat.waitForFrame(isBanner("queued"));
    const waiting = await agent.waitForConversation((c) => c.status === "queued" && c.user?.userId === "gus");
    await agent.accept(waiting.id, "agent-anna");
    await chat.waitForFrame(isBanner("active"));
    const armedAt = Date.now();

    const first = await chat.waitForMessage(says("bot", "Are you still there?"));
    const waited = Date.now() - armedAt;
    // Generous bounds: this shows the unit is seconds (not ms, not minutes), it is no timing test.
    expect(waited).toBeGreaterThanOrEqual(800);
    expect(waited).toBeLessThan(5_000);
    // destination both: the agent sees the warning too.
    await waitFor(
      async () => (await agent.transcript(waiting.id)).some((m) => m.text === "Are you still there?"),
      5_000,
      "the warning at the agent",
    );

    // The user answers: the count starts again, so the next expiry warns once more instead of closing.
    const answered = chat.frames.length;
    await chat.say("Yes, still here");
    const second = await messageAfter(chat, answered, says("bot", "Are you still there?"), 5_000);
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(chat.messages().filter(says("bot", "I closed the chat")).length).toBe(0);

    // Silence: the next expiry in a row closes the handover from the bot's side.
    await messageAfter(chat, answered, says("bot", "I closed the chat"), 5_000);
    await messageAfter(chat, answered, says("system", "back with the bot"));
    await frameAfter(chat, answered, isBanner("none"));
    await waitFor(
      async () => (await agent.participants(waiting.id)).some((p) => p.type === "user" && p.removed === true),
      5_000,
      "the user to leave the 8x8 conversation",
    );
    await agent.waitForConversation((c) => c.id === waiting.id && c.status === "idle");
    expect(chat.messages().filter(says("bot", "Are you still there?")).length).toBe(2);
    const atAgent = (await agent.transcript(waiting.id)).filter((m) => m.authorType === "user");
    expect(atAgent.map((m) => m.text)).toContain("Yes, still here");

    // The flow runs again (below closeHandover, then listening), and no timer fires any more.
    const resumed = chat.frames.length;
    await chat.say("hello bot");
    await messageAfter(chat, resumed, says("bot", "You said: hello bot"));
    expect(chat.messages().filter(says("bot", "Welcome back")).length).toBe(0);
  });
});
