import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.ts";
import { api, createChannel, createConversation } from "./support/gateway-client.ts";
import { useFreshSimulator } from "./support/fresh-simulator.ts";
import type { WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator;
let receiver: WebhookReceiver;
useFreshSimulator((fresh) => ({ sim, receiver } = fresh));

describe("404 bodies", () => {
  it("uses ResourceNotFoundProblem (errors: string[]) for conversations, webhooks and messages", async () => {
    for (const path of ["/conversations/nope", "/webhooks/nope", "/channels/nope"]) {
      const result = await api(sim, "GET", path);
      expect(result.status).toBe(404);
      expect(result.contentType).toBe("application/problem+json");
      expect(result.body).toEqual({
        message: expect.stringContaining("nope") as unknown,
        errors: [expect.any(String)],
      });
    }
  });

  it("uses the resource_not_found object shape on typing, thinking, read-receipt and post-agent-assignment", async () => {
    const bodies: Record<string, object> = {
      typing: { authorType: "bot" },
      thinking: {},
      "read-receipt": { authorType: "bot", readAt: 1 },
      "post-agent-assignment": { type: "webhook", id: "w" },
    };
    for (const [operation, body] of Object.entries(bodies)) {
      const result = await api(sim, "POST", `/conversations/nope/${operation}`, body);
      expect(result.status).toBe(404);
      expect(result.body).toEqual({
        message: "Resource not found",
        errors: [{ code: "resource_not_found", message: expect.stringContaining("nope") as unknown }],
      });
    }
  });

  it("answers 404 for an unknown JWK kid", async () => {
    const response = await fetch(`${sim.url}/chat-gateway/v1/jwk/unknown-kid/public`);
    expect(response.status).toBe(404);
  });
});

describe("400 bodies", () => {
  it("rejects an unknown queue on channel creation with GenericExceptionPayload code invalid_queue", async () => {
    const webhook = await api<{ id: string }>(sim, "POST", "/webhooks", {
      name: "w",
      uri: receiver.url,
      notificationVersion: "Chat Gateway v1.0",
    });
    const result = await api(sim, "POST", "/channels", {
      name: "c",
      webHookId: webhook.body.id,
      routingOptions: { type: "queue", id: "999" },
    });
    expect(result.status).toBe(400);
    expect(result.contentType).toBe("application/problem+json");
    expect(result.body).toEqual({
      message: "Queue ID 999 is invalid.",
      errors: [{ code: "invalid_queue", message: "Queue ID 999 is invalid." }],
    });
  });

  it("rejects a channel whose webhook does not exist", async () => {
    const result = await api<{ errors: Array<{ code: string }> }>(sim, "POST", "/channels", {
      name: "c",
      webHookId: "missing",
      routingOptions: { type: "queue", id: "311" },
    });
    expect(result.status).toBe(400);
    expect(result.body.errors[0]?.code).toBe("invalid_webhook");
  });

  it("rejects an unknown assignment queue on conversation creation with invalid_queue", async () => {
    const channelId = await createChannel(sim, receiver);
    const result = await api<{ errors: Array<{ code: string }> }>(sim, "POST", "/conversations", {
      channelId,
      user: { name: "A" },
      assignment: { type: "queue", id: "999" },
    });
    expect(result.status).toBe(400);
    expect(result.body.errors).toEqual([{ code: "invalid_queue", message: "Queue ID 999 is invalid." }]);
  });

  it("validates additionalProperties (at most 30, key and value strings) and history (at most 200)", async () => {
    const channelId = await createChannel(sim, receiver);
    const tooMany = Array.from({ length: 31 }, (_, i) => ({ key: `k${i}`, value: "v" }));
    const cases = [
      { channelId, user: { additionalProperties: tooMany } },
      { channelId, user: { additionalProperties: [{ key: "k" }] } },
      {
        channelId,
        user: {},
        history: { messages: Array.from({ length: 201 }, () => ({ authorType: "user", text: "x" })) },
      },
      { channelId, user: {}, history: { messages: [{ authorType: "agent", text: "x" }] } },
      { user: {} },
      { channelId: "missing", user: {} },
    ];
    for (const body of cases) {
      const result = await api<{ message: string; errors: Array<{ code: string; message: string }> }>(
        sim,
        "POST",
        "/conversations",
        body,
      );
      expect(result.status).toBe(400);
      expect(result.body.errors).toEqual([
        { code: expect.any(String) as unknown, message: expect.any(String) as unknown },
      ]);
    }
    expect(sim.conversations()).toEqual([]);
  });

  it("answers a bad authorType on send-message with BadRequestProblem whose errors is a single object", async () => {
    const channelId = await createChannel(sim, receiver);
    const conversationId = await createConversation(sim, channelId);
    const result = await api(sim, "POST", `/conversations/${conversationId}/messages`, {
      authorType: "ghfgh",
      text: "hi",
    });
    expect(result.status).toBe(400);
    expect(result.contentType).toBe("application/problem+json");
    expect(result.body).toEqual({
      message: "Invalid authorType=ghfgh, has to be one of user, bot",
      errors: {
        code: "invalid_json_object",
        message: "Invalid authorType=ghfgh, has to be one of user, bot",
      },
      referenceId: expect.any(String) as unknown,
    });
  });

  it("rejects text together with externalProvider, and a message with no content", async () => {
    const channelId = await createChannel(sim, receiver);
    const conversationId = await createConversation(sim, channelId);
    for (const body of [
      { authorType: "user", text: "hi", externalProvider: { name: "X", externalMessageId: "1" } },
      { authorType: "bot" },
    ]) {
      const result = await api<{ errors: { code: string } }>(
        sim,
        "POST",
        `/conversations/${conversationId}/messages`,
        body,
      );
      expect(result.status).toBe(400);
      expect(result.body.errors.code).toBe("invalid_json_object");
    }
  });

  it("answers typing/thinking/read-receipt/post-agent-assignment validation with InvalidParameterExceptionPayload", async () => {
    const channelId = await createChannel(sim, receiver);
    const conversationId = await createConversation(sim, channelId);
    const cases: Array<[string, object]> = [
      ["typing", { authorType: "agent" }],
      ["thinking", { authorType: "user" }],
      ["thinking", { maxThinkingTimeSeconds: 601 }],
      ["read-receipt", { authorType: "bot" }],
      ["post-agent-assignment", { type: "webhook", id: "x", configuration: { maxTotalMinutes: 5 } }],
    ];
    for (const [operation, body] of cases) {
      const result = await api(sim, "POST", `/conversations/${conversationId}/${operation}`, body);
      expect(result.status).toBe(400);
      expect(result.body).toEqual({
        message: expect.stringContaining(conversationId) as unknown,
        errors: [{ code: "invalid_parameter", message: expect.any(String) as unknown }],
        referenceId: expect.any(String) as unknown,
      });
    }
  });

  it("accepts valid typing, thinking (empty body) and read-receipt calls with 204", async () => {
    const channelId = await createChannel(sim, receiver);
    const conversationId = await createConversation(sim, channelId);
    expect(
      (await api(sim, "POST", `/conversations/${conversationId}/typing`, { authorType: "user" })).status,
    ).toBe(204);
    expect((await api(sim, "POST", `/conversations/${conversationId}/thinking`)).status).toBe(204);
    const receipt = { authorType: "bot", readAt: Date.now() };
    expect((await api(sim, "POST", `/conversations/${conversationId}/read-receipt`, receipt)).status).toBe(
      204,
    );
    const summary = sim.conversations()[0];
    expect(summary).toMatchObject({ userTyping: true, botThinking: true });
  });
});
