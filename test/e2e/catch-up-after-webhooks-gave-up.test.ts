import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { Simulator, SimulatorOptions } from "../../simulator/src/index.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

/**
 * The gateway is down longer than the simulator retries its webhooks (docs/guarantees.md, catch-up): the
 * simulator gives the agent's events up, and after the restart on the same data folder the gateway reads
 * the conversation from the 8x8 API and applies what it missed, once and in order; a webhook that still
 * arrives late is not shown again.
 */
describe("catch-up after 8x8 gave up its webhooks, over real sockets and the simulator", () => {
  async function embeddedOnDisk(retry: NonNullable<SimulatorOptions["retry"]>) {
    const dir = await mkdtemp(join(tmpdir(), "baton-catch-up-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    return startEmbedded({ store: `pglite://${dir}`, simulator: { retry } });
  }

  /** Webhook attempts the simulator gave up, of one conversation and event type. */
  function gaveUp(simulator: Simulator, conversationId: string, eventType: string): number {
    return simulator
      .webhookLog()
      .filter(
        (a) => a.conversationId === conversationId && a.eventType === eventType && a.outcome === "gave-up",
      ).length;
  }

  it("delivers every agent message written while the gateway was down, once and in order", async () => {
    const embedded = await embeddedOnDisk({ maxAttempts: 2, baseDelayMs: 50 });
    const { simulator, webToken } = embedded;
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(embedded.gateway.url, webToken, { userId: "kim", sessionId: "s-kim" });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "kim");
    await agent.say(waiting.id, "Before the stop.");
    await chat.waitForMessage(says("agent", "Before the stop."));
    const lastSeq = Math.max(...chat.messages().map((m) => m.seq));

    const missed = ["While you were away 1", "While you were away 2", "While you were away 3"];
    const gateway = await embedded.restartGateway(async () => {
      for (const text of missed) await agent.say(waiting.id, text);
      // The simulator tried each one twice and gave up: no webhook will ever bring them.
      await waitFor(
        () => gaveUp(simulator, waiting.id, "MESSAGE") === missed.length,
        10_000,
        "the simulator giving up the three MESSAGE webhooks",
      );
    });

    const back = await connectWebchat(gateway.url, webToken, { userId: "kim", sessionId: "s-kim", lastSeq });
    await back.waitForMessage(says("agent", missed.at(-1)!), 15_000);
    await agent.say(waiting.id, "And after the restart.");
    await back.waitForMessage(says("agent", "And after the restart."));

    const agentTexts = back
      .messages()
      .filter((m) => m.source === "agent")
      .map((m) => m.text);
    expect(agentTexts).toEqual([...missed, "And after the restart."]);
    const seqs = back.messages().map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(seqs.every((seq) => seq > lastSeq)).toBe(true);
  }, 60_000);

  it("ends the handover the agent closed while the gateway was down, and the flow resumes", async () => {
    const embedded = await embeddedOnDisk({ maxAttempts: 2, baseDelayMs: 50 });
    const { simulator, webToken } = embedded;
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(embedded.gateway.url, webToken, { userId: "lou", sessionId: "s-lou" });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "lou");
    const lastSeq = Math.max(...chat.messages().map((m) => m.seq));

    const gateway = await embedded.restartGateway(async () => {
      await agent.say(waiting.id, "All sorted, goodbye!");
      await agent.close(waiting.id);
      await waitFor(
        () =>
          gaveUp(simulator, waiting.id, "MESSAGE") === 1 &&
          gaveUp(simulator, waiting.id, "CONVERSATION_UPDATE") >= 1,
        10_000,
        "the simulator giving up the message and the idle update",
      );
    });

    const back = await connectWebchat(gateway.url, webToken, { userId: "lou", sessionId: "s-lou", lastSeq });
    await back.waitForMessage(says("bot", "Welcome back"), 15_000);
    const texts = back.messages().map((m) => `${m.source}: ${m.text ?? ""}`);
    const goodbye = texts.indexOf("agent: All sorted, goodbye!");
    expect(goodbye, texts.join("\n")).toBeGreaterThanOrEqual(0);
    expect(texts.filter((t) => t === "agent: All sorted, goodbye!")).toHaveLength(1);
    expect(texts.findIndex((t) => t.startsWith("bot: Welcome back"))).toBeGreaterThan(goodbye);

    const session = await gateway.store.sessions.getOrCreate({
      endpointId: "web",
      userId: "lou",
      sessionId: "s-lou",
    });
    expect(await gateway.store.handovers.findOpenBySession(session.session.id)).toBeUndefined();
    const handover = await gateway.store.handovers.findByProviderConversation("eight", waiting.id);
    expect(handover?.state).toBe("completed");
    // The user talks to the bot again.
    const from = back.messages().length;
    await back.say("opening hours");
    await waitFor(
      () => back.messages().slice(from).find(says("bot", "Monday to Friday")),
      10_000,
      "the bot's answer after the handover",
    );
  }, 60_000);

  it("does not show again a message whose late webhook arrives after the catch-up delivered it", async () => {
    // One retry, late enough to land after the restart and its catch-up.
    const embedded = await embeddedOnDisk({ maxAttempts: 2, baseDelayMs: 8_000 });
    const { simulator, webToken } = embedded;
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(embedded.gateway.url, webToken, { userId: "max", sessionId: "s-max" });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "max");
    const lastSeq = Math.max(...chat.messages().map((m) => m.seq));

    let eventId = "";
    const gateway = await embedded.restartGateway(async () => {
      await agent.say(waiting.id, "Late, but once.");
      const failed = await waitFor(
        () =>
          simulator
            .webhookLog()
            .find(
              (a) => a.conversationId === waiting.id && a.eventType === "MESSAGE" && a.outcome === "failed",
            ),
        10_000,
        "the MESSAGE webhook failing while the gateway is down",
      );
      eventId = failed.eid;
    });

    const back = await connectWebchat(gateway.url, webToken, { userId: "max", sessionId: "s-max", lastSeq });
    await back.waitForMessage(says("agent", "Late, but once."), 15_000);
    const handover = await gateway.store.handovers.findByProviderConversation("eight", waiting.id);
    const applied = await gateway.store.providerMessages.listByHandover(handover!.id);
    expect(applied.map((m) => m.source)).toEqual(["catch-up"]);

    // The simulator's retry arrives now, is accepted and handed on, and changes nothing.
    await waitFor(
      () =>
        simulator.webhookLog().some((a) => a.eid === eventId && a.outcome === "delivered" && a.retry >= 1),
      15_000,
      "the late retry of the MESSAGE webhook delivered",
    );
    await waitFor(
      async () => (await gateway.store.webhookEvents.find("eight", eventId))?.status === "processed",
      10_000,
      "the late webhook event processed",
    );
    await agent.say(waiting.id, "Next one.");
    await back.waitForMessage(says("agent", "Next one."));
    expect(
      back
        .messages()
        .filter((m) => m.source === "agent")
        .map((m) => m.text),
    ).toEqual(["Late, but once.", "Next one."]);
    const stored = await gateway.store.messages.listTranscript(handover!.sessionId);
    expect(stored.filter((m) => m.text === "Late, but once.")).toHaveLength(1);
  }, 60_000);
});
