import { describe, expect, it } from "vitest";
import type { CopilotServerFrame, TileContent } from "../../src/protocol/copilot.ts";
import { connectCopilot, copilotLinkAtAgent, copilotSocketUrl } from "../factories/copilot-client.ts";
import { demoCopilotFlow, repoKnowledge, startEmbedded } from "../factories/embedded-gateway.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

const content =
  <K extends TileContent["kind"]>(kind: K) =>
  (tile: { content?: TileContent }): tile is { content: Extract<TileContent, { kind: K }> } =>
    tile.content?.kind === kind;

describe("Agent Copilot workspace over real sockets", () => {
  it("posts the link to the agent, shows the live workspace, and answers postbacks and searches", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      copilot: { knowledge: { folder: repoKnowledge } },
    });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ana", sessionId: "s-copilot" });
    await chat.waitForMessage((m) => m.source === "bot");
    await chat.say("I want to return my order and get a refund");
    await chat.waitForMessage((m) => m.source === "bot");
    await chat.say("talk to a human");
    const conversation = await agent.waitForConversation((c) => c.user?.userId === "ana");

    // The agent gets the link as a bot message in the conversation.
    const link = await copilotLinkAtAgent(agent, conversation.id);
    expect(link).toContain("URLToken=");
    // Always signed: the URL token and the user's ids alone would let the end user open it.
    expect(new URL(link).searchParams.get("auth")).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await agent.messages(conversation.id)).find((m) => m.text.includes(link))?.author.type).toBe(
      "bot",
    );

    const workspace = connectCopilot(copilotSocketUrl(link));
    await workspace.waitForFrame(
      (f): f is Extract<CopilotServerFrame, { type: "state" }> => f.type === "state",
    );
    expect(workspace.state()?.tiles.map((t) => t.id)).toEqual(
      expect.arrayContaining(["transcript", "summary", "sentiment", "knowledge", "nextAction", "identity"]),
    );
    const summary = await workspace.waitForTile("summary", content("summary"));
    expect(summary.content?.kind === "summary" && summary.content.text.length).toBeGreaterThan(0);
    await workspace.waitForTile("identity", content("identity"));

    // The user types: the transcript follows live.
    await agent.accept(conversation.id, "agent-anna");
    await chat.say("My card is 4111 1111 1111 1111, this is terrible");
    const transcript = await workspace.waitForTile(
      "transcript",
      (t) => t.content?.kind === "transcript" && t.content.lines.some((l) => l.text.includes("terrible")),
    );
    const line = transcript.content?.kind === "transcript" ? transcript.content.lines.at(-1)! : undefined;
    expect(line?.text).not.toContain("4111 1111 1111 1111");

    // An HTML tile's SDK.postback("escalate") updates the next action tile and sends data to the HTML tile.
    workspace.send({ type: "postback", tileId: "escalation", value: "escalate" });
    await workspace.waitForTile(
      "nextAction",
      (t) => t.content?.kind === "nextAction" && t.content.text.includes("Escalation requested"),
    );
    await workspace.waitForFrame(
      (f): f is Extract<CopilotServerFrame, { type: "sendData" }> =>
        f.type === "sendData" && f.tileId === "escalation",
    );

    // A search typed into the knowledge tile gets a cited answer.
    workspace.send({ type: "search", tileId: "knowledge", query: "How long does a refund take?" });
    const knowledge = await workspace.waitForTile(
      "knowledge",
      (t) => t.content?.kind === "knowledge" && t.content.query === "How long does a refund take?",
    );
    expect(knowledge.content?.kind === "knowledge" && knowledge.content.citations.length).toBeGreaterThan(0);
    expect(knowledge.content?.kind === "knowledge" && knowledge.content.citations[0]!.source).toMatch(
      /\.md$/,
    );

    // A second socket (a reload, or the next agent after a transfer) sees the same state.
    const second = connectCopilot(copilotSocketUrl(link));
    const state = await second.waitForFrame(
      (f): f is Extract<CopilotServerFrame, { type: "state" }> => f.type === "state",
    );
    expect(state.state.tiles.find((t) => t.id === "knowledge")?.content).toEqual(knowledge.content);

    // The open workspace's status follows the handover without any further message: the agent's join
    // (its events may still be on their way), then the agent's close.
    const statusBecomes = (status: string) =>
      waitFor(() => second.state()?.handoverState === status, 15_000, `the workspace's status ${status}`);
    await statusBecomes("active");
    await agent.close(conversation.id);
    await statusBecomes("completed");
  });
});
