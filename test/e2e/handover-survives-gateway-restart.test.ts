import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { messageAfter, reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

/**
 * The gateway stops mid-handover and starts again on the same port and PGlite directory (docs/guarantees.md:
 * a crash or an 8x8 outage loses nothing and sends nothing twice): the agent's messages written while it
 * was down arrive (the simulator retries its webhooks), the user's reconnect with its last seq gets each of
 * them exactly once and in order, a user message still in the outbox at the stop reaches the agent, and the
 * handover ends normally.
 */
describe("gateway restart mid-handover, over real sockets", () => {
  it("loses nothing and repeats nothing across the restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "baton-restart-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const embedded = await startEmbedded({
      store: `pglite://${dir}`,
      // Webhook retries spread over ~12 s: far longer than the gateway is down.
      simulator: { retry: { baseDelayMs: 50, maxAttempts: 12 } },
    });
    const { simulator, webToken } = embedded;
    const firstUrl = embedded.gateway.url;
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(embedded.gateway.url, webToken, {
      userId: "eli",
      sessionId: "s-restart",
    });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "eli");

    await agent.say(waiting.id, "Before the restart.");
    await chat.waitForMessage(says("agent", "Before the restart."));
    await chat.say("First question");
    await agent.waitForConversation((c) => c.id === waiting.id && c.lastMessage?.text === "First question");

    // 8x8 refuses calls for a moment, so this message is still in the outbox when the gateway stops.
    simulator.setFaults({ errorRate: 1, errorStatus: 503 });
    await chat.say("Sent right before the stop");
    const lastSeq = Math.max(...chat.messages().map((m) => m.seq));

    const downtime = ["While you were away 1", "While you were away 2", "While you were away 3"];
    const gateway = await embedded.restartGateway(async () => {
      // 8x8 refused it until now and the gateway is down: it can only be in the stored outbox.
      const atAgent = (await agent.transcript(waiting.id)).map((m) => m.text);
      expect(atAgent).not.toContain("Sent right before the stop");
      simulator.resetFaults();
      const failedBefore = failedDeliveries();
      for (const text of downtime) await agent.say(waiting.id, text);
      // The simulator really tried (and failed) to deliver while the gateway was down.
      await waitFor(() => failedDeliveries() > failedBefore, 5_000, "a failed webhook delivery");
    });
    expect(gateway.url).toBe(firstUrl);

    const back = await connectWebchat(gateway.url, webToken, {
      userId: "eli",
      sessionId: "s-restart",
      lastSeq,
    });
    await back.waitForMessage(says("agent", downtime.at(-1)!), 15_000);
    // The pending outbox item went out after the restart, before anything written later.
    await back.say("Written after the restart");
    await waitFor(
      async () => (await agent.transcript(waiting.id)).some((m) => m.text === "Written after the restart"),
      10_000,
      "the user's message after the restart at the agent",
    );
    const fromUser = (await agent.transcript(waiting.id))
      .filter((m) => m.authorType === "user")
      .map((m) => m.text);
    expect(fromUser.slice(-3)).toEqual([
      "First question",
      "Sent right before the stop",
      "Written after the restart",
    ]);

    await agent.say(waiting.id, "Anything else?");
    await back.waitForMessage(says("agent", "Anything else?"));
    await agent.close(waiting.id);
    await back.waitForMessage(says("bot", "Welcome back"), 15_000);

    // Exactly what was missed, once, in order: nothing from before lastSeq, nothing twice.
    expect(back.messages().every((m) => m.seq > lastSeq)).toBe(true);
    expect(
      back
        .messages()
        .filter((m) => m.source === "agent")
        .map((m) => m.text),
    ).toEqual([...downtime, "Anything else?"]);
    const seqs = back.messages().map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // The user still talks to the bot afterwards.
    const after = back.frames.length;
    await back.say("opening hours");
    await messageAfter(back, after, says("bot", "Monday to Friday"));

    function failedDeliveries(): number {
      return simulator.webhookLog().filter((a) => a.conversationId === waiting.id && a.outcome === "failed")
        .length;
    }
  });
});
