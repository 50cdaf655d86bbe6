import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatGatewayClient, type ChatGatewayClient } from "../../../src/providers/8x8/client.ts";
import { createEightByEightHandoverOperations } from "../../../src/providers/8x8/handover-operations.ts";
import type { HandoverOperations } from "../../../src/providers/port.ts";
import { createSimulator, type Simulator } from "../../../simulator/src/index.ts";
import { startRecordingProxy, type RecordingProxy } from "../../factories/recording-proxy.ts";

let simulator: Simulator;
let client: ChatGatewayClient;
let sink: RecordingProxy;
let channelId: string;
let operations: HandoverOperations;

beforeAll(async () => {
  simulator = await createSimulator();
  client = createChatGatewayClient({ baseUrl: simulator.url, apiKey: simulator.apiKey });
  sink = await startRecordingProxy();
  const webhook = await client.webhooks.create({ name: "sink", uri: sink.url });
  channelId = (
    await client.channels.create({
      name: "ops",
      webHookId: webhook.id,
      routingOptions: { type: "queue", id: "311" },
    })
  ).id;
  operations = createEightByEightHandoverOperations(client, { channelId });
});
afterAll(async () => {
  await client.close();
  await simulator.close();
  await sink.close();
});

const user = { id: "user-7", name: "Ana Pereira", email: "ana@example.org", language: "pt" };

describe("8x8 handover operations", () => {
  it("creates a conversation in the queue with user data, custom properties and the bot transcript as history", async () => {
    const { providerConversationId } = await operations.createConversation({
      handoverId: "h1",
      user,
      routing: { queueId: "312", properties: { Plan: "gold", Reason: "invoice" } },
      transcript: [
        { source: "bot", text: "Hi! How can I help?", at: "2026-01-01T00:00:00Z" },
        { source: "user", text: "My invoice is wrong", at: "2026-01-01T00:00:01Z" },
        { source: "system", text: "Connecting you to an agent", at: "2026-01-01T00:00:02Z" },
        { source: "user", text: "   ", at: "2026-01-01T00:00:03Z" },
      ],
    });
    const conversation = await client.conversations.get(providerConversationId);
    expect(conversation.channelId).toBe(channelId);
    expect(conversation.user).toMatchObject({
      name: "Ana Pereira",
      userId: "user-7",
      email: "ana@example.org",
      language: "pt",
      additionalProperties: [
        { key: "Plan", value: "gold" },
        { key: "Reason", value: "invoice" },
      ],
    });
    const summary = simulator.conversations().find((c) => c.id === providerConversationId);
    expect(summary?.queueId).toBe("312");
    const history = await client.messages.list(providerConversationId, { sort: "createdAt:asc" });
    expect(history.items.map((m) => [m.author?.type, m.text])).toEqual([
      ["bot", "Hi! How can I help?"],
      ["user", "My invoice is wrong"],
      ["bot", "[system] Connecting you to an agent"],
    ]);
  });

  it("names the files of the transcript in the history (text only: nothing is uploaded)", async () => {
    const { providerConversationId } = await operations.createConversation({
      handoverId: "h-files",
      user,
      routing: {},
      transcript: [
        { source: "user", text: "", at: "2026-01-01T00:00:00Z", attachments: ["photo.png"] },
        { source: "user", text: "and the form", at: "2026-01-01T00:00:01Z", attachments: ["a.pdf", "b.pdf"] },
      ],
    });
    const history = await client.messages.list(providerConversationId, { sort: "createdAt:asc" });
    expect(history.items.map((m) => [m.author?.type, m.text])).toEqual([
      ["user", "[attachment] photo.png"],
      ["user", "and the form\n[attachment] a.pdf\n[attachment] b.pdf"],
    ]);
    expect((await client.attachments.list(providerConversationId)).items).toEqual([]);
  });

  it("uses the node's channel over the provider default", async () => {
    const other = createEightByEightHandoverOperations(client, {});
    const { providerConversationId } = await other.createConversation({
      handoverId: "h2",
      user,
      routing: { channelId },
      transcript: [],
    });
    expect((await client.conversations.get(providerConversationId)).channelId).toBe(channelId);
  });

  it("refuses to create without any channel id, naming the setting", async () => {
    const noChannel = createEightByEightHandoverOperations(client, {});
    await expect(
      noChannel.createConversation({ handoverId: "h3", user, routing: {}, transcript: [] }),
    ).rejects.toMatchObject({
      code: "BATON_ERR_HANDOVER_UNSUPPORTED",
      details: { field: "channelId" },
    });
  });

  it("relays user text and files, notifies the agent as the bot, and never sends an empty message", async () => {
    const { providerConversationId: id } = await operations.createConversation({
      handoverId: "h4",
      user,
      routing: {},
      transcript: [],
    });
    await operations.sendUserMessage(id, {
      text: "Here is the photo",
      attachments: [
        { name: "photo.png", contentType: "image/png", bytes: new Uint8Array([137, 80, 78, 71]) },
      ],
    });
    await operations.sendUserMessage(id, { text: "   " });
    await operations.notifyAgent(id, "The user left the chat.");
    const messages = (await client.messages.list(id, { sort: "createdAt:asc" })).items;
    expect(messages.map((m) => [m.author?.type, m.text, m.attachments?.length ?? 0])).toEqual([
      ["user", "Here is the photo", 1],
      ["bot", "The user left the chat.", 0],
    ]);
    const download = await client.attachments.download(id, messages[0]!.attachments[0]!.id);
    expect([...download.bytes]).toEqual([137, 80, 78, 71]);
  });

  it("makes the user leave, ending the interaction", async () => {
    const { providerConversationId: id } = await operations.createConversation({
      handoverId: "h5",
      user,
      routing: {},
      transcript: [],
    });
    await operations.userTyping(id);
    await operations.userLeaves(id);
    const participants = await client.conversations.participants(id);
    expect(participants.find((p) => p.type === "user")?.removed).toBe(true);
  });
});
