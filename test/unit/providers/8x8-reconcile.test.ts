import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatGatewayClient, type ChatGatewayClient } from "../../../src/providers/8x8/client.ts";
import { createEightByEightReconcile } from "../../../src/providers/8x8/reconcile.ts";
import type { ReconciledConversation } from "../../../src/providers/port.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";
import { createSimulator, type Simulator } from "../../../simulator/src/index.ts";
import { startRecordingProxy, type RecordingProxy } from "../../factories/recording-proxy.ts";
import { simulatorAgent } from "../../factories/simulator-agent.ts";

let simulator: Simulator;
let client: ChatGatewayClient;
let sink: RecordingProxy;
let channelId: string;
let reconcile: (conversationId: string, since: number) => Promise<ReconciledConversation>;

beforeAll(async () => {
  simulator = await createSimulator();
  client = createChatGatewayClient({ baseUrl: simulator.url, apiKey: simulator.apiKey });
  // The events go nowhere that matters here: catch-up reads the API.
  sink = await startRecordingProxy();
  const webhook = await client.webhooks.create({ name: "sink", uri: sink.url });
  channelId = (
    await client.channels.create({ name: "catch-up", webHookId: webhook.id, routingOptions: { id: "311" } })
  ).id;
  reconcile = createEightByEightReconcile(client, "eight", createSilentLogger());
});
afterAll(async () => {
  await client.close();
  await simulator.close();
  await sink.close();
});

async function conversationWithAgent(): Promise<string> {
  const { conversationId } = await client.conversations.create({
    channelId,
    user: { name: "Ana" },
    history: { messages: [{ authorType: "user", text: "From the transcript" }] },
  });
  await simulatorAgent(simulator).accept(conversationId, "agent-anna");
  return conversationId;
}

describe("8x8 catch-up over the Chat Gateway API", () => {
  it("lists only agent messages, oldest first, never the user's or the bot's", async () => {
    const conversationId = await conversationWithAgent();
    const agent = simulatorAgent(simulator);
    await client.messages.send(conversationId, { authorType: "user", text: "A user message" });
    await agent.say(conversationId, "Agent one");
    await client.messages.send(conversationId, { authorType: "bot", text: "A bot notice" });
    await agent.say(conversationId, "Agent two");
    const read = await reconcile(conversationId, 0);
    expect(read.messages.map((m) => [m.sender, m.text])).toEqual([
      [{ id: "agent-anna", role: "agent" }, "Agent one"],
      [{ id: "agent-anna", role: "agent" }, "Agent two"],
    ]);
    const [first, second] = read.messages;
    expect(first!.eventId).toMatch(/^catch-up:/);
    expect(first!.occurredAt).toBeLessThan(second!.occurredAt);
    expect(read).toMatchObject({ ended: false, agent: { id: "agent-anna" }, agentsLeft: [] });
  });

  it("reads across pages, and stops at the first message older than `since`", async () => {
    const conversationId = await conversationWithAgent();
    const agent = simulatorAgent(simulator);
    const texts = Array.from({ length: 57 }, (_, i) => `Line ${i + 1}`);
    for (const text of texts) await agent.say(conversationId, text);
    const all = await reconcile(conversationId, 0);
    expect(all.messages.map((m) => m.text)).toEqual(texts);
    const since = all.messages[50]!.occurredAt;
    const recent = await reconcile(conversationId, since);
    expect(recent.messages.map((m) => m.text)).toEqual(texts.slice(50));
  });

  it("brings an agent's files inline, with name, kind and bytes, under the attachment ids their webhook names", async () => {
    const conversationId = await conversationWithAgent();
    const pdf = Buffer.from("%PDF-1.4 refund receipt\n");
    const png = Buffer.from("89504e470d0a1a0a", "hex");
    await simulatorAgent(simulator).sendFiles(
      conversationId,
      [
        { fileName: "receipt.pdf", contentType: "application/pdf", base64: pdf.toString("base64") },
        { fileName: "photo.png", contentType: "image/png", base64: png.toString("base64") },
      ],
      "Your receipt",
    );
    const [message] = (await reconcile(conversationId, 0)).messages;
    const listed = await simulatorAgent(simulator).messages(conversationId);
    const [pdfId, pngId] = listed.at(-1)!.attachments.map((a) => a.id);
    // The webhook says `file` and `image` for these (from the uploaded types); 8x8 serves octet-stream.
    expect(message!.attachments).toEqual([
      {
        id: pdfId,
        kind: "file",
        fileName: "receipt.pdf",
        url: `data:application/pdf;base64,${pdf.toString("base64")}`,
      },
      {
        id: pngId,
        kind: "image",
        fileName: "photo.png",
        url: `data:image/png;base64,${png.toString("base64")}`,
      },
    ]);
  });

  it("reports a closed conversation as ended, with no agent, and the agent among those who left", async () => {
    const conversationId = await conversationWithAgent();
    await simulatorAgent(simulator).close(conversationId);
    const read = await reconcile(conversationId, 0);
    expect(read).toMatchObject({ ended: true, agentsLeft: ["agent-anna"] });
    expect(read.agent).toBeUndefined();
    expect(read.queueId).toBeUndefined();
  });

  it("reports a transferred conversation as waiting in the new queue", async () => {
    const conversationId = await conversationWithAgent();
    await simulatorAgent(simulator).transfer(conversationId, "312");
    const read = await reconcile(conversationId, 0);
    expect(read).toMatchObject({ ended: false, queueId: "312", agentsLeft: ["agent-anna"] });
    expect(read.agent).toBeUndefined();
  });
});
