import { describe, expect, it } from "vitest";
import type { WebchatTestClient } from "../factories/webchat-client.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import {
  askForHuman,
  frameAfter,
  isBanner,
  messageAfter,
  says,
  type SimulatorAgent,
} from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

/**
 * Cancelling while queued (docs/handover-lifecycle.md, "requested/queued → cancelled"): the user leaves the
 * 8x8 conversation, hears the catalog's "left the queue", and the demo flow continues below the node with
 * `cancelled` ("No problem"). Three ways to cancel: the Cancel quick reply (the page sends its payload as
 * text), the web chat's `cancelHandover` frame, and the cancelIntent keyword "never mind".
 */
describe("cancel while queued, over real sockets", () => {
  const cancelWays: [string, (chat: WebchatTestClient) => Promise<unknown>][] = [
    [
      "the Cancel quick reply",
      async (chat) => {
        const accepted = chat.messages().find(says("bot", "connecting you with a person"));
        const cancel = accepted?.quickReplies?.find((q) => q.title === "Cancel");
        expect(cancel).toBeDefined();
        return chat.say(cancel!.payload);
      },
    ],
    [
      "the web chat's cancelHandover frame",
      (chat) => {
        chat.send({ type: "cancelHandover" });
        return Promise.resolve();
      },
    ],
    ['the cancel intent "never mind"', (chat) => chat.say("Never mind, I found it.")],
  ];

  it.each(cancelWays)(
    "%s withdraws the request: the user leaves the 8x8 conversation and the flow says No problem",
    async (_way, cancel) => {
      const { simulator, gateway, webToken } = await startEmbedded();
      const agent = simulatorAgent(simulator);
      const chat = await connectWebchat(gateway.url, webToken, { userId: "cleo", sessionId: "s-cancel" });
      await chat.waitForMessage(says("bot", "demo bot"));

      const waiting = await askForHuman(chat, agent, "cleo");
      const from = chat.frames.length;
      await cancel(chat);

      await assertCancelled(chat, agent, waiting.id, from);
      // Nothing of the cancel reached the agent: it withdraws the request, it is no message.
      const atAgent = (await agent.transcript(waiting.id)).filter((m) => m.authorType === "user");
      expect(atAgent.map((m) => m.text)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/never mind|baton:handover:cancel/i)]),
      );
    },
  );

  it("a cancel while 8x8 is still answering the create leaves no conversation waiting in the queue", async () => {
    const { simulator, gateway, webToken } = await startEmbedded();
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "cleo", sessionId: "s-cancel-early" });
    await chat.waitForMessage(says("bot", "demo bot"));

    // 8x8 takes its time: the user cancels before the create call has answered (state `requested`).
    simulator.setFaults({ latencyMs: 600 });
    const from = chat.frames.length;
    await chat.say("talk to a human");
    await frameAfter(chat, from, isBanner("queued"));
    chat.send({ type: "cancelHandover" });
    await messageAfter(chat, from, says("bot", "No problem"));

    // The conversation 8x8 created meanwhile is left by the user, so no agent can pick it up.
    const created = await agent.waitForConversation((c) => c.user?.userId === "cleo", 5_000);
    simulator.resetFaults();
    await assertCancelled(chat, agent, created.id, from);
  });
});

async function assertCancelled(
  chat: WebchatTestClient,
  agent: SimulatorAgent,
  conversationId: string,
  from: number,
): Promise<void> {
  await waitFor(
    async () =>
      (await agent.participants(conversationId)).some((p) => p.type === "user" && p.removed === true),
    10_000,
    "the user to leave the 8x8 conversation",
  );
  await agent.waitForConversation((c) => c.id === conversationId && c.status === "idle");

  const left = await messageAfter(chat, from, says("system", "left the queue"));
  const noProblem = await messageAfter(chat, from, says("bot", "No problem"));
  expect(noProblem.seq).toBeGreaterThan(left.seq);
  await frameAfter(chat, from, isBanner("none"));
  // The flow is the bot again: the next message runs it.
  const after = chat.frames.length;
  await chat.say("opening hours");
  await messageAfter(chat, after, says("bot", "Monday to Friday"));
}
