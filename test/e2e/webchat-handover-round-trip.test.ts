import { describe, expect, it } from "vitest";
import type { WebchatServerFrame } from "../../src/protocol/webchat.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

const isBanner =
  (state: string) =>
  (f: WebchatServerFrame): f is Extract<WebchatServerFrame, { type: "handover" }> =>
    f.type === "handover" && f.banner.state === state;

describe("web chat → bot → 8x8 agent → bot, over real sockets", () => {
  it("hands over with the transcript, relays both ways in order, survives a transfer and resumes the flow below the node", async () => {
    const { simulator, gateway, webToken } = await startEmbedded();
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ana", sessionId: "s-round-trip" });

    const greeting = await chat.waitForMessage((m) => m.source === "bot");
    expect(greeting.text).toContain("demo bot");
    expect(greeting.quickReplies?.map((q) => q.title)).toContain("Talk to a human");

    await chat.say("What are your opening hours?");
    await chat.waitForMessage((m) => m.source === "bot" && (m.text ?? "").includes("Monday to Friday"));

    await chat.say("talk to a human");
    const accepted = await chat.waitForMessage((m) =>
      (m.text ?? "").includes("connecting you with a person"),
    );
    expect(accepted.quickReplies).toEqual([{ title: "Cancel", payload: "baton:handover:cancel" }]);
    await chat.waitForFrame(isBanner("queued"));

    const waiting = await agent.waitForConversation((c) => c.status === "queued" && c.user?.userId === "ana");
    expect(waiting.customProperties).toEqual(
      expect.arrayContaining([{ key: "Request", value: "talk to a human" }]),
    );
    const history = await agent.transcript(waiting.id);
    expect(history.map((m) => m.text)).toEqual(
      expect.arrayContaining(["What are your opening hours?", "talk to a human"]),
    );
    expect(history.find((m) => m.text.includes("demo bot"))?.authorType).toBe("bot");

    await agent.accept(waiting.id, "agent-anna");
    await chat.waitForMessage((m) => m.source === "system" && (m.text ?? "").includes("joined"));
    await chat.waitForFrame(isBanner("active"));

    for (const text of ["Hello, I'm Anna.", "How can I help?", "Let me check."])
      await agent.say(waiting.id, text);
    await chat.say("My invoice is wrong");
    await chat.say("It says 120 EUR");
    await waitFor(
      async () => {
        const texts = (await agent.transcript(waiting.id)).map((m) => m.text);
        return texts.includes("It says 120 EUR");
      },
      10_000,
      "the user's messages at the agent",
    );
    const fromUser = (await agent.transcript(waiting.id))
      .filter((m) => m.authorType === "user")
      .map((m) => m.text);
    expect(fromUser.slice(-2)).toEqual(["My invoice is wrong", "It says 120 EUR"]);

    await agent.transfer(waiting.id, "312");
    await chat.waitForFrame(isBanner("transferring"));
    await chat.waitForMessage((m) => m.source === "system" && (m.text ?? "").includes("transferred"));
    await agent.waitForConversation(
      (c) => c.id === waiting.id && c.status === "queued" && c.queueId === "312",
    );
    await agent.accept(waiting.id, "agent-clara");
    await agent.say(waiting.id, "Clara here, I took over.");
    await chat.waitForMessage((m) => m.source === "agent" && m.text === "Clara here, I took over.");

    await agent.close(waiting.id);
    await chat.waitForMessage((m) => m.source === "bot" && (m.text ?? "").includes("Welcome back"), 15_000);
    await chat.waitForFrame(isBanner("none"));

    const agentTexts = chat
      .messages()
      .filter((m) => m.source === "agent")
      .map((m) => m.text);
    expect(agentTexts).toEqual([
      "Hello, I'm Anna.",
      "How can I help?",
      "Let me check.",
      "Clara here, I took over.",
    ]);
    const seqs = chat.messages().map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    await chat.say("opening hours");
    await chat.waitForMessage(
      (m) => m.source === "bot" && (m.text ?? "").includes("Monday to Friday") && m.seq > seqs.at(-1)!,
    );
  }, 60_000);
});
