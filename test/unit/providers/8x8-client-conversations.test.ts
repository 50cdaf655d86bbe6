import { afterEach, describe, expect, it } from "vitest";
import { createTestClient, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

function conversations() {
  harness = createTestClient(stub.url, { tenant: "acme01" });
  return harness.client.conversations;
}

const base = "/chat-gateway/v1/conversations";
const conversation = {
  id: "vXg39aMTRlq4xCBFaUCTlA",
  channelId: "25",
  state: "active",
  assignment: { type: "queue", id: "311" },
  user: { name: "Ana", language: "pt", additionalProperties: [{ key: "Plan", value: "gold" }] },
};

describe("conversations", () => {
  it("creates with user, assignment and history and reads the 202 result", async () => {
    stub.enqueue({ status: 202, body: { conversationId: "ID-0", createdAt: "2021-01-30T08:30:00Z" } });
    const input = {
      channelId: "25",
      user: { name: "Ana", email: "ana@example.org", additionalProperties: [{ key: "Plan", value: "gold" }] },
      assignment: { type: "queue", id: "311" },
      history: {
        messages: [
          { authorType: "user", text: "hi" },
          {
            authorType: "bot",
            text: "How can we help?",
            cards: [{ contentType: "application/8x8.quick.replies", content: { options: [] } }],
          },
        ],
      },
    } as const;
    const created = await conversations().create(input);
    expect(created).toEqual({ conversationId: "ID-0", createdAt: "2021-01-30T08:30:00Z" });
    const [request] = stub.requests;
    expect(`${request?.method} ${request?.path}`).toBe(`POST ${base}`);
    expect(request?.json()).toEqual(input);
  });

  it("normalises the state to lower case (CREATED in 8x8's 202 prose)", async () => {
    stub.enqueue({ body: { ...conversation, state: "CREATED", id: 42, channelId: 25 } });
    const result = await conversations().get("42");
    expect(result).toMatchObject({ id: "42", channelId: "25", state: "created" });
  });

  it("lists, puts and patches", async () => {
    stub.enqueue(
      { body: { _embedded: { conversations: [conversation] }, page: { number: 0, totalPages: 1 } } },
      { status: 202, body: conversation },
      { status: 202, body: { ...conversation, state: "ACTIVE" } },
    );
    const api = conversations();
    expect((await api.list({ filter: "channelId==25" })).items).toHaveLength(1);
    await api.put(conversation.id, { user: { name: "Ana P." }, assignment: { type: "queue", id: "312" } });
    const patched = await api.patch(conversation.id, { assignment: { type: "queue", id: "313" } });
    expect(patched.state).toBe("active");
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${base}`,
      `PUT ${base}/${conversation.id}`,
      `PATCH ${base}/${conversation.id}`,
    ]);
    expect(stub.requests[1]?.json()).toEqual({
      user: { name: "Ana P." },
      assignment: { type: "queue", id: "312" },
    });
    expect(stub.requests[2]?.json()).toEqual({ assignment: { type: "queue", id: "313" } });
  });

  it("reads interactions and participants", async () => {
    stub.enqueue(
      {
        body: {
          _embedded: { interactions: [{ id: "int-1", startTime: "2020-08-05T11:55:00.592Z" }] },
          page: {},
        },
      },
      {
        body: {
          _embedded: {
            participants: [
              { id: "user", type: "user", removed: false },
              { id: "agQx81", type: "agent", removed: true, language: "en" },
            ],
          },
        },
      },
    );
    const api = conversations();
    expect(await api.interactions("c1")).toEqual([{ id: "int-1", startTime: "2020-08-05T11:55:00.592Z" }]);
    expect(await api.participants("c1")).toEqual([
      { id: "user", type: "user", removed: false },
      { id: "agQx81", type: "agent", removed: true, language: "en" },
    ]);
    expect(stub.requests.map((r) => r.path)).toEqual([`${base}/c1/interactions`, `${base}/c1/participants`]);
  });

  it("posts the agent assignment with a string flag and integer minutes (201)", async () => {
    stub.enqueue({ status: 201 });
    await conversations().postAgentAssignment("c1", {
      id: "NSCIiFrvSHeI7q5apOriDQ",
      configuration: { notifyChannelWebhookIfExists: false, maxTotalMinutes: 300, userTimeoutInMinutes: 150 },
    });
    const [request] = stub.requests;
    expect(`${request?.method} ${request?.path}`).toBe(`POST ${base}/c1/post-agent-assignment`);
    expect(request?.json()).toEqual({
      type: "webhook",
      id: "NSCIiFrvSHeI7q5apOriDQ",
      configuration: {
        notifyChannelWebhookIfExists: "false",
        maxTotalMinutes: 300,
        userTimeoutInMinutes: 150,
      },
    });
    expect(request?.headers["x-8x8-tenant"]).toBe("acme01");
  });

  it("sends typing, thinking and read receipts (204)", async () => {
    stub.handle(() => ({ status: 204 }));
    const api = conversations();
    await api.typing("c1", { authorType: "bot" });
    await api.thinking("c1");
    await api.thinking("c1", { maxThinkingTimeSeconds: 30 });
    await api.readReceipt("c1", { authorType: "user", readAt: 1770200431963 });
    expect(stub.requests.map((r) => [r.method, r.path, r.json()])).toEqual([
      ["POST", `${base}/c1/typing`, { authorType: "bot" }],
      ["POST", `${base}/c1/thinking`, undefined],
      ["POST", `${base}/c1/thinking`, { authorType: "bot", maxThinkingTimeSeconds: 30 }],
      ["POST", `${base}/c1/read-receipt`, { authorType: "user", readAt: 1770200431963 }],
    ]);
    expect(stub.requests[1]?.headers["content-type"]).toBeUndefined();
    expect(stub.requests.every((r) => r.headers["x-8x8-tenant"] === "acme01")).toBe(true);
  });

  it("lets the user leave with PATCH participants/user {removed:true} (204)", async () => {
    stub.enqueue({ status: 204 });
    await conversations().userLeaves("c1");
    const [request] = stub.requests;
    expect(`${request?.method} ${request?.path}`).toBe(`PATCH ${base}/c1/participants/user`);
    expect(request?.json()).toEqual({ removed: true });
  });
});
