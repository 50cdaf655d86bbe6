import WebSocket from "ws";
import { describe, expect, it, onTestFinished } from "vitest";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

const userLeft = "The user has left the chat.";
const userBack = "The user is back in the chat.";

/**
 * The agent is told when the user's last web chat connection closes (after a grace, so a page reload says
 * nothing) and when one comes back, once per change, as bot messages in the 8x8 conversation.
 */
describe("web chat presence during a handover, over real sockets", () => {
  it("tells the agent the user left after the grace and is back on reconnect; a quick reload says nothing", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({ disconnectGraceMs: 1_000 });
    const agent = simulatorAgent(simulator);
    const hello = { userId: "hana", sessionId: "s-presence" };
    const chat = await connectWebchat(gateway.url, webToken, hello);
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "hana");
    const notices = async () =>
      (await agent.transcript(waiting.id)).filter((m) => m.text === userLeft || m.text === userBack);

    // A reload: the socket closes and a new one opens well within the grace.
    await chat.close();
    const reloaded = await connectWebchat(gateway.url, webToken, { ...hello, lastSeq: lastSeqOf(chat) });

    // The user really goes: after the grace the agent hears it.
    const closedAt = Date.now();
    await reloaded.close();
    await waitFor(async () => (await notices()).length > 0, 10_000, "the user-left notice at the agent");
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(900);

    const back = await connectWebchat(gateway.url, webToken, { ...hello, lastSeq: lastSeqOf(reloaded) });
    await waitFor(async () => (await notices()).length > 1, 10_000, "the user-back notice at the agent");
    // Had the reload been reported, its "left" (due a grace after the reload) would be first in this list.
    expect(await notices()).toEqual([
      { authorType: "bot", text: userLeft },
      { authorType: "bot", text: userBack },
    ]);

    // The handover went on all along.
    await agent.say(waiting.id, "Welcome back, where were we?");
    await back.waitForMessage(says("agent", "Welcome back, where were we?"));
  });

  it("a socket that closes before its hello is through does not keep the user present", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({ disconnectGraceMs: 300 });
    const agent = simulatorAgent(simulator);
    const hello = { userId: "hana", sessionId: "s-presence-abort" };
    const chat = await connectWebchat(gateway.url, webToken, hello);
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "hana");

    // A tab that opens and is closed at once: its hello is still being served (held here, so the race is
    // not left to chance) when the socket is gone.
    const openSession = gateway.conversations.openSession;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let served: Promise<unknown> | undefined;
    gateway.conversations.openSession = (input) => {
      const session = held.then(() => openSession(input));
      served = session;
      return session;
    };
    onTestFinished(() => {
      gateway.conversations.openSession = openSession;
    });
    const aborted = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/endpoints/${webToken}/ws`);
    await new Promise((resolve) => aborted.once("open", resolve));
    const gone = new Promise((resolve) => aborted.once("close", resolve));
    aborted.send(JSON.stringify({ type: "hello", ...hello, lastSeq: lastSeqOf(chat) }));
    await waitFor(() => served !== undefined, 5_000, "the hello to be served");
    aborted.close();
    await gone;
    release();
    await served;
    gateway.conversations.openSession = openSession;

    // The user's last real socket closes: the agent must still hear that the user left.
    await chat.close();
    await waitFor(
      async () => (await agent.transcript(waiting.id)).some((m) => m.text === userLeft),
      5_000,
      "the user-left notice at the agent",
    );
  });
});

function lastSeqOf(chat: { messages(): { seq: number }[] }): number {
  return Math.max(0, ...chat.messages().map((m) => m.seq));
}
