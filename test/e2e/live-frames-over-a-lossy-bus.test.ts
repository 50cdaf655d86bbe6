import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import type { SessionStreamEvent } from "../../src/conversation/session-stream.ts";
import { copilotTopic } from "../../src/copilot/runner.ts";
import type { CopilotServerFrame } from "../../src/protocol/copilot.ts";
import type { WebchatServerFrame } from "../../src/protocol/webchat.ts";
import {
  connectCopilot,
  copilotLinkAtAgent,
  copilotSocketUrl,
  type CopilotTestClient,
} from "../factories/copilot-client.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { frameAfter, isBanner, reachAgent, says } from "../factories/handover-steps.ts";
import { makeLossy } from "../factories/lossy-bus.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat, type WebchatTestClient } from "../factories/webchat-client.ts";

/** Appends every postback value to the `log` tile's data (test/fixtures/flows/copilot-log.yaml). */
const copilotLogFlow = fileURLToPath(new URL("../fixtures/flows/copilot-log.yaml", import.meta.url));

const sessionKeyOf = (chat: WebchatTestClient) =>
  chat.frames.find((f): f is Extract<WebchatServerFrame, { type: "ready" }> => f.type === "ready")!
    .sessionKey;

/** A session stream event that shows an agent message with exactly `text`. */
const agentMessage = (text: string) => (message: unknown) => {
  const event = message as SessionStreamEvent;
  return event.type === "message" && event.message.source === "agent" && event.message.text === text;
};

/** The seqs of the message frames a socket got, in arrival order. */
const seqsOf = (chat: WebchatTestClient) => chat.messages().map((m) => m.seq);
const agentTextsOf = (chat: WebchatTestClient) =>
  chat
    .messages()
    .filter((m) => m.source === "agent")
    .map((m) => m.text);

/** Every seq once, ascending, and none left out from the first to the last. */
function expectWholeAndOrdered(seqs: readonly number[]): void {
  const first = seqs[0] ?? 1;
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => first + i));
}

async function webchatInHandover(userId: string) {
  const { simulator, gateway, webToken } = await startEmbedded();
  // Before the socket subscribes, so the test can tell its subscription what Redis would.
  const lossy = makeLossy(gateway.bus);
  const agent = simulatorAgent(simulator);
  const chat = await connectWebchat(gateway.url, webToken, { userId, sessionId: `s-${userId}` });
  await chat.waitForMessage((m) => m.source === "bot");
  const conversation = await reachAgent(chat, agent, userId);
  return { gateway, lossy, agent, chat, conversation, topic: `session:${sessionKeyOf(chat)}` };
}

describe("an open web chat socket when the bus loses publishes", () => {
  it("sends an agent message whose publish was lost before the next one, once and in order", async () => {
    const { lossy, agent, chat, conversation, topic } = await webchatInHandover("lea");
    const lost = lossy.dropNext((t, m) => t === topic && agentMessage("two")(m));

    for (const text of ["one", "two", "three"]) await agent.say(conversation.id, text);
    await chat.waitForMessage(says("agent", "three"));
    await lost;

    expect(agentTextsOf(chat)).toEqual(["one", "two", "three"]);
    expectWholeAndOrdered(seqsOf(chat));
  });

  it("sends a lost last message once the bus says messages may have been missed", async () => {
    const { gateway, lossy, agent, chat, conversation, topic } = await webchatInHandover("max");
    await agent.say(conversation.id, "first");
    await chat.waitForMessage(says("agent", "first"));
    const lost = lossy.dropNext((t, m) => t === topic && agentMessage("last")(m));

    await agent.say(conversation.id, "last");
    await lost;
    const stored = await gateway.store.messages.listAfter(sessionKeyOf(chat), 0);
    expect(stored.at(-1)?.text).toBe("last");
    // Nothing after it gives the gap away: the socket cannot know yet.
    expect(agentTextsOf(chat)).toEqual(["first"]);

    expect(lossy.signalMissed(topic)).toBe(1);
    await chat.waitForMessage(says("agent", "last"));
    expect(agentTextsOf(chat)).toEqual(["first", "last"]);
    expectWholeAndOrdered(seqsOf(chat));

    // A catch-up that finds nothing new sends nothing.
    const frames = chat.frames.length;
    lossy.signalMissed(topic);
    await agent.say(conversation.id, "after");
    await chat.waitForMessage(says("agent", "after"));
    expect(chat.frames.slice(frames).filter((f) => f.type === "message")).toHaveLength(1);
    expectWholeAndOrdered(seqsOf(chat));
  });

  it("sends the handover banner whose publish was lost once the bus says so", async () => {
    const { lossy, agent, chat, conversation, topic } = await webchatInHandover("noa");
    const lost = lossy.dropNext((t, m) => t === topic && (m as SessionStreamEvent).type === "banner");
    const from = chat.frames.length;

    await agent.transfer(conversation.id, "312");
    await chat.waitForMessage(says("system", "transferred"));
    expect(await lost).toMatchObject({ banner: { state: "transferring" } });
    expect(chat.frames.slice(from).some(isBanner("transferring"))).toBe(false);

    lossy.signalMissed(topic);
    await frameAfter(chat, from, isBanner("transferring"));
    expectWholeAndOrdered(seqsOf(chat));
  });
});

describe("a web chat hello that fails before ready", () => {
  it("leaves the socket free for another hello, which then gets every message", async () => {
    const { gateway, webToken } = await startEmbedded();
    const { bus } = gateway;
    const subscribe = bus.subscribe.bind(bus);
    bus.subscribe = () => {
      bus.subscribe = subscribe;
      return Promise.reject(new Error("the bus is away"));
    };
    // A bare socket: the test client waits for `ready`, which the first hello never gets.
    const socket = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/endpoints/${webToken}/ws`);
    onTestFinished(() => {
      socket.terminate();
    });
    const frames: WebchatServerFrame[] = [];
    socket.on("message", (raw: Buffer) =>
      frames.push(JSON.parse(raw.toString("utf8")) as WebchatServerFrame),
    );
    await new Promise((resolve) => socket.once("open", resolve));
    const hello = JSON.stringify({ type: "hello", userId: "pia", sessionId: "s-pia" });
    socket.send(hello);
    await waitFor(() => frames.find((f) => f.type === "error"), 10_000, "the refused hello");
    expect(frames.some((f) => f.type === "ready")).toBe(false);

    socket.send(hello);
    await waitFor(
      () => frames.find((f) => f.type === "message" && f.message.source === "bot"),
      10_000,
      "the greeting after the second hello",
    );
    expect(frames.filter((f) => f.type === "ready")).toHaveLength(1);
  });
});

/** The stored-workspace versions of a socket's frames, in arrival order. */
const versionsOf = (client: CopilotTestClient) =>
  client.frames.flatMap((f: CopilotServerFrame) => ("workspaceVersion" in f ? [f.workspaceVersion] : []));

const logOf = (client: CopilotTestClient) => {
  const content = client.shown()?.workspace.tiles.find((t) => t.id === "log")?.content;
  return content?.kind === "html" ? String((content.data as { log?: string }).log ?? "") : "";
};

describe("an open Copilot workspace socket when the bus loses publishes", () => {
  it("is repaired from the store when a version jumps and when the bus says it may have missed some", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({ copilotFlow: copilotLogFlow });
    const lossy = makeLossy(gateway.bus);
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ora", sessionId: "s-ora" });
    await chat.waitForMessage((m) => m.source === "bot");
    const conversation = await reachAgent(chat, agent, "ora");
    const link = await copilotLinkAtAgent(agent, conversation.id);
    const key = sessionKeyOf(chat);
    const topic = copilotTopic(key);
    await gateway.copilot.idle();
    const workspace = connectCopilot(copilotSocketUrl(link));
    await waitFor(() => workspace.state(), 10_000, "the first state");
    const stored = async () => (await gateway.store.copilotWorkspaces.get(key))!.version;
    const postback = async (value: string) => {
      const from = await stored();
      workspace.send({ type: "postback", tileId: "log", value });
      await waitFor(async () => (await stored()) > from, 10_000, `the postback ${value} saved`);
      await gateway.copilot.idle();
    };
    const ofVersion = (version: number) => (t: string, m: unknown) =>
      t === topic && (m as { workspaceVersion?: number }).workspaceVersion === version;

    // Every frame of one saved change is lost; the next change's frame is two versions ahead.
    const before = await stored();
    const lostChange = lossy.dropAll(ofVersion(before + 1));
    await postback("lost-a");
    lostChange.stop();
    expect(lostChange.dropped.length).toBeGreaterThan(0);
    expect(logOf(workspace)).not.toContain("lost-a");
    const frames = workspace.frames.length;
    await postback("next-b");
    await waitFor(() => logOf(workspace).includes("next-b"), 10_000, "the next change at the socket");
    expect(logOf(workspace)).toContain("lost-a,");
    expect(workspace.frames.slice(frames).find((f) => f.type === "state")).toMatchObject({
      workspaceVersion: before + 2,
    });

    // The last change is lost: nothing follows it, until the bus says messages may have been missed.
    const last = await stored();
    const lostLast = lossy.dropAll(ofVersion(last + 1));
    await postback("lost-c");
    lostLast.stop();
    expect(lostLast.dropped.length).toBeGreaterThan(0);
    expect(logOf(workspace)).not.toContain("lost-c");
    expect(lossy.signalMissed(topic)).toBe(1);
    await waitFor(() => logOf(workspace).includes("lost-c"), 10_000, "the repaired workspace");
    expect(workspace.shown()?.version).toBe(await stored());
    const versions = versionsOf(workspace);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });
});
