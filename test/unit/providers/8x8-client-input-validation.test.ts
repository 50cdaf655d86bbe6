import { afterEach, describe, expect, it } from "vitest";
import type { ChatGatewayClient } from "../../../src/providers/8x8/client.ts";
import type { SendMessageBody } from "../../../src/providers/8x8/wire-types.ts";
import { createTestClient, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

const properties = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
const history = (count: number): SendMessageBody[] =>
  Array.from({ length: count }, () => ({ authorType: "user", text: "x" }));

/** Calls that break a documented limit, with the field the error must name. Casts stand for untyped callers. */
const invalidCalls: [string, string, (client: ChatGatewayClient) => Promise<unknown>][] = [
  [
    "31 additionalProperties",
    "user.additionalProperties",
    (c) => c.conversations.create({ channelId: "25", user: { additionalProperties: properties(31) } }),
  ],
  [
    "a non-string property value",
    "user.additionalProperties[0].value",
    (c) =>
      c.conversations.create({
        channelId: "25",
        user: { additionalProperties: [{ key: "k", value: 5 as unknown as string }] },
      }),
  ],
  [
    "an empty property key",
    "user.additionalProperties[1].key",
    (c) =>
      c.conversations.create({
        channelId: "25",
        user: {
          additionalProperties: [
            { key: "a", value: "b" },
            { key: "", value: "b" },
          ],
        },
      }),
  ],
  [
    "201 history messages",
    "history.messages",
    (c) => c.conversations.create({ channelId: "25", user: {}, history: { messages: history(201) } }),
  ],
  [
    "a bad history item",
    "history.messages[1].authorType",
    (c) =>
      c.conversations.create({
        channelId: "25",
        user: {},
        history: {
          messages: [
            { authorType: "user", text: "a" },
            { authorType: "agent" as "bot", text: "b" },
          ],
        },
      }),
  ],
  ["a missing channelId", "channelId", (c) => c.conversations.create({ channelId: "", user: {} })],
  [
    "a script-less assignment type",
    "assignment.type",
    (c) => c.conversations.patch("c1", { assignment: { type: "agent" as "queue", id: "1" } }),
  ],
  ["an empty patch", "assignment", (c) => c.conversations.patch("c1", {} as { user: object })],
  [
    "text and externalProvider",
    "text",
    (c) =>
      c.messages.send("c1", {
        authorType: "user",
        text: "a",
        externalProvider: { name: "X", externalMessageId: "1" },
      } as unknown as SendMessageBody),
  ],
  ["a message with no content", "text", (c) => c.messages.send("c1", { authorType: "user" })],
  [
    "a card without content",
    "cards[0].content",
    (c) =>
      c.messages.send("c1", {
        authorType: "bot",
        cards: [{ contentType: "Buttons", content: null as unknown as Record<string, unknown> }],
      }),
  ],
  [
    "an attachment without id",
    "attachments[0].id",
    (c) => c.messages.send("c1", { authorType: "bot", attachments: [{ id: "" }] }),
  ],
  [
    "maxTotalMinutes 19",
    "configuration.maxTotalMinutes",
    (c) => c.conversations.postAgentAssignment("c1", { id: "w", configuration: { maxTotalMinutes: 19 } }),
  ],
  [
    "maxTotalMinutes 601",
    "configuration.maxTotalMinutes",
    (c) => c.conversations.postAgentAssignment("c1", { id: "w", configuration: { maxTotalMinutes: 601 } }),
  ],
  [
    "userTimeoutInMinutes 9",
    "configuration.userTimeoutInMinutes",
    (c) => c.conversations.postAgentAssignment("c1", { id: "w", configuration: { userTimeoutInMinutes: 9 } }),
  ],
  [
    "userTimeoutInMinutes 12.5",
    "configuration.userTimeoutInMinutes",
    (c) =>
      c.conversations.postAgentAssignment("c1", { id: "w", configuration: { userTimeoutInMinutes: 12.5 } }),
  ],
  [
    "notify as another string",
    "configuration.notifyChannelWebhookIfExists",
    (c) =>
      c.conversations.postAgentAssignment("c1", {
        id: "w",
        configuration: { notifyChannelWebhookIfExists: "yes" as "true" },
      }),
  ],
  [
    "thinking 0 s",
    "maxThinkingTimeSeconds",
    (c) => c.conversations.thinking("c1", { maxThinkingTimeSeconds: 0 }),
  ],
  [
    "thinking 601 s",
    "maxThinkingTimeSeconds",
    (c) => c.conversations.thinking("c1", { maxThinkingTimeSeconds: 601 }),
  ],
  ["thinking as user", "authorType", (c) => c.conversations.thinking("c1", { authorType: "user" as "bot" })],
  ["typing as agent", "authorType", (c) => c.conversations.typing("c1", { authorType: "agent" as "bot" })],
  [
    "readAt not an integer",
    "readAt",
    (c) => c.conversations.readReceipt("c1", { authorType: "user", readAt: 1.5 }),
  ],
  ["an empty conversation id", "conversationId", (c) => c.conversations.get("")],
  [
    "a 257-character webhook name",
    "name",
    (c) => c.webhooks.create({ name: "n".repeat(257), uri: "https://x.example" }),
  ],
  ["a relative webhook uri", "uri", (c) => c.webhooks.create({ name: "n", uri: "/hook" })],
  [
    "a channel of another type",
    "type",
    (c) =>
      c.channels.create({
        name: "n",
        webHookId: "w",
        routingOptions: { id: "q" },
        type: "WebChat" as "ChatAPI",
      }),
  ],
  [
    "a channel without queue",
    "routingOptions.id",
    (c) => c.channels.create({ name: "n", webHookId: "w", routingOptions: { id: "" } }),
  ],
  ["a negative page", "page", (c) => c.webhooks.list({ page: -1 })],
  [
    "an upload without file name",
    "fileName",
    (c) => c.attachments.upload("c1", { bytes: Buffer.from("x"), fileName: " ", authorType: "user" }),
  ],
  ["an empty kid", "kid", (c) => c.jwk.getPublicJwk("")],
];

describe("client-side input validation", () => {
  it.each(invalidCalls)("refuses %s before sending anything", async (_name, field, call) => {
    harness = createTestClient(stub.url);
    await expect(call(harness.client)).rejects.toMatchObject({
      code: "BATON_ERR_8X8_INPUT_INVALID",
      details: { field, expected: expect.any(String) as string },
    });
    expect(stub.requests).toHaveLength(0);
  });

  it("accepts the limits themselves: 30 properties, 200 history messages, 20/600 and 10/300 minutes", async () => {
    stub.handle(() => ({ status: 202, body: { conversationId: "c1" } }));
    harness = createTestClient(stub.url);
    const { conversations } = harness.client;
    await conversations.create({
      channelId: "25",
      user: { additionalProperties: properties(30) },
      history: { messages: history(200) },
    });
    stub.handle(() => ({ status: 201 }));
    await conversations.postAgentAssignment("c1", {
      id: "w",
      configuration: { notifyChannelWebhookIfExists: "true", maxTotalMinutes: 20, userTimeoutInMinutes: 300 },
    });
    await conversations.postAgentAssignment("c1", {
      id: "w",
      configuration: { maxTotalMinutes: 600, userTimeoutInMinutes: 10 },
    });
    expect(stub.requests).toHaveLength(3);
  });

  it("accepts an attachment-only message (the spec requires neither text nor externalProvider)", async () => {
    stub.enqueue({ status: 202 });
    harness = createTestClient(stub.url);
    await harness.client.messages.send("c1", { authorType: "user", attachments: [{ id: "a1" }] });
    expect(stub.requests[0]?.json()).toEqual({ authorType: "user", attachments: [{ id: "a1" }] });
  });
});
