import { afterEach, describe, expect, it } from "vitest";
import type { ChatGatewayClient } from "../../../src/providers/8x8/client.ts";
import { createTestClient, testApiKey, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

/** One call of every kind of request: GET, POST json, PUT, PATCH, DELETE, 204 indicators, multipart, binary. */
const everyKindOfCall: [string, (client: ChatGatewayClient) => Promise<unknown>][] = [
  ["webhooks.list", (c) => c.webhooks.list()],
  ["conversations.create", (c) => c.conversations.create({ channelId: "25", user: {} })],
  ["conversations.put", (c) => c.conversations.put("c1", { user: { name: "A" } })],
  ["conversations.patch", (c) => c.conversations.patch("c1", { user: { name: "A" } })],
  ["channels.delete", (c) => c.channels.delete("25")],
  ["conversations.typing", (c) => c.conversations.typing("c1", { authorType: "bot" })],
  ["conversations.postAgentAssignment", (c) => c.conversations.postAgentAssignment("c1", { id: "w1" })],
  ["messages.send", (c) => c.messages.send("c1", { authorType: "user", text: "hi" })],
  [
    "attachments.upload",
    (c) => c.attachments.upload("c1", { bytes: Buffer.from("x"), fileName: "x", authorType: "user" }),
  ],
  ["attachments.download", (c) => c.attachments.download("c1", "a1")],
  [
    "cards.actionSubmit",
    (c) => c.cards.actionSubmit({ conversationId: "c1", cardId: "k", name: "n", tenantId: "t" }),
  ],
];

function answerEverything(): void {
  stub.handle((request) => {
    if (request.path.endsWith("/conversations")) return { status: 202, body: { conversationId: "c1" } };
    if (request.path.endsWith("/attachments")) return { body: { id: "a1", filename: "x" } };
    if (request.path.endsWith("/content")) return { body: Buffer.from("x") };
    if (request.method === "GET") return { body: {} };
    if (request.method === "PUT" || request.method === "PATCH") return { status: 202, body: { id: "c1" } };
    return { status: 204 };
  });
}

describe("headers", () => {
  it.each(everyKindOfCall)(
    "%s sends x-api-key and X-8x8-Tenant when a tenant is configured",
    async (_name, call) => {
      answerEverything();
      harness = createTestClient(stub.url, { tenant: "acme01" });
      await call(harness.client);
      const [request] = stub.requests;
      expect(request?.headers["x-api-key"]).toBe(testApiKey);
      expect(request?.headers["x-8x8-tenant"]).toBe("acme01");
    },
  );

  it.each(everyKindOfCall)("%s sends no X-8x8-Tenant without a tenant", async (_name, call) => {
    answerEverything();
    harness = createTestClient(stub.url);
    await call(harness.client);
    expect(stub.requests[0]?.headers).not.toHaveProperty("x-8x8-tenant");
  });

  it("treats an empty tenant (from ${VAR:-}) as unset", async () => {
    harness = createTestClient(stub.url, { tenant: "" });
    await harness.client.webhooks.get("12").catch(() => undefined);
    expect(stub.requests[0]?.headers).not.toHaveProperty("x-8x8-tenant");
  });

  it("sends accept, user-agent and a JSON content type", async () => {
    stub.enqueue({ status: 202, body: { conversationId: "c1" } });
    harness = createTestClient(stub.url, { userAgent: "baton-test/1.0" });
    await harness.client.conversations.create({ channelId: "25", user: {} });
    const headers = stub.requests[0]?.headers;
    expect(headers?.accept).toBe("application/hal+json, application/json");
    expect(headers?.["user-agent"]).toBe("baton-test/1.0");
    expect(headers?.["content-type"]).toBe("application/json");
  });

  it("keeps a base URL's path prefix and ignores a trailing slash", async () => {
    stub.enqueue({ body: { id: "12", name: "n", uri: "https://x" } });
    harness = createTestClient(`${stub.url}/proxy/8x8/`);
    await harness.client.webhooks.get("12");
    expect(stub.requests[0]?.path).toBe("/proxy/8x8/chat-gateway/v1/webhooks/12");
  });

  it("rejects a bad configuration at creation, without echoing the key", () => {
    expect(() => createTestClient("api.8x8.com")).toThrowError(
      expect.objectContaining({
        code: "BATON_ERR_CONFIG_INVALID",
        details: { field: "baseUrl", expected: expect.any(String) },
      }),
    );
    expect(() => createTestClient(stub.url, { apiKey: "" })).toThrowError(
      expect.objectContaining({ details: expect.objectContaining({ field: "apiKey" }) }),
    );
    expect(() => createTestClient(stub.url, { jwkUrlTemplate: "{baseUrl}/jwk" })).toThrowError(
      expect.objectContaining({ details: expect.objectContaining({ field: "jwkUrlTemplate" }) }),
    );
    harness = createTestClient(stub.url);
  });
});
