import { afterEach, describe, expect, it } from "vitest";
import { createTestClient, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

function client(tenant?: string) {
  harness = createTestClient(stub.url, tenant === undefined ? {} : { tenant });
  return harness.client;
}

const base = "/chat-gateway/v1/conversations/c1/messages";
const quickReplies = {
  contentType: "application/8x8.quick.replies",
  content: { options: [{ title: "Track order", data: { postback: "track" } }] },
};

describe("messages", () => {
  it("sends text with attachments and cards and resolves on 202 without a body", async () => {
    stub.enqueue({ status: 202 });
    const body = {
      authorType: "bot",
      text: "How can we help?",
      attachments: [{ id: "att1" }],
      cards: [quickReplies],
    } as const;
    await expect(client().messages.send("c1", body)).resolves.toBeUndefined();
    const [request] = stub.requests;
    expect(`${request?.method} ${request?.path}`).toBe(`POST ${base}`);
    expect(request?.json()).toEqual(body);
  });

  it("sends an externalProvider message without text", async () => {
    stub.enqueue({ status: 202 });
    await client().messages.send("c1", {
      authorType: "user",
      externalProvider: { name: "X", externalMessageId: "1234567890123456789" },
    });
    expect(stub.requests[0]?.json()).toEqual({
      authorType: "user",
      externalProvider: { name: "X", externalMessageId: "1234567890123456789" },
    });
  });

  it("lists with page/size/sort and parses messages", async () => {
    stub.enqueue({
      body: {
        _embedded: {
          messages: [
            {
              id: 9,
              text: "Hello!",
              createdAt: "2021-01-30T08:30:00Z",
              author: { id: "agQx81", type: "agent", removed: false },
              attachments: [{ id: "att1" }],
              cards: [{ id: "card1", ...quickReplies, actionSubmitted: true, actionExecuted: false }],
            },
            { id: "m2", text: null, author: { id: "user", type: "user" } },
          ],
        },
        page: { size: 2, number: 1, totalElements: 4, totalPages: 2 },
      },
    });
    const page = await client().messages.list("c1", { page: 1, size: 2, sort: "createdAt:asc" });
    expect(Object.fromEntries(stub.requests[0]!.query)).toEqual({
      page: "1",
      size: "2",
      sort: "createdAt:asc",
    });
    expect(page.page).toEqual({ size: 2, number: 1, totalElements: 4, totalPages: 2 });
    expect(page.items[0]).toEqual({
      id: "9",
      text: "Hello!",
      createdAt: "2021-01-30T08:30:00Z",
      author: { id: "agQx81", type: "agent", removed: false },
      attachments: [{ id: "att1" }],
      cards: [{ id: "card1", ...quickReplies, actionSubmitted: true, actionExecuted: false }],
    });
    expect(page.items[1]).toMatchObject({ id: "m2", text: "", attachments: [], cards: [] });
  });

  it("gets one message and the cards of a message", async () => {
    stub.enqueue(
      { body: { id: "m1", text: "hi", author: { id: "user", type: "user", removed: false } } },
      {
        body: {
          _embedded: { cards: [{ id: "card1", ...quickReplies, actionSubmitted: false }] },
          page: { totalPages: 1 },
        },
      },
    );
    const api = client().messages;
    expect((await api.get("c1", "m1")).text).toBe("hi");
    const cards = await api.cards("c1", "m1", { sort: "createdAt:desc" });
    expect(cards.items).toEqual([{ id: "card1", ...quickReplies, actionSubmitted: false }]);
    expect(stub.requests.map((r) => r.path)).toEqual([`${base}/m1`, `${base}/m1/cards`]);
  });

  it("listAll walks every page of a conversation's messages", async () => {
    stub.handle((request) => {
      const number = Number(request.query.get("page"));
      return {
        body: { _embedded: { messages: [{ id: `m${number}`, text: "x" }] }, page: { number, totalPages: 3 } },
      };
    });
    const ids: string[] = [];
    for await (const message of client().messages.listAll("c1", { sort: "createdAt:asc" }))
      ids.push(message.id);
    expect(ids).toEqual(["m0", "m1", "m2"]);
  });
});

describe("card actions", () => {
  it("PUTs action-submit and action-execute with the tenant in the path", async () => {
    stub.handle(() => ({ status: 204 }));
    const api = client("acme01").cards;
    await api.actionSubmit({ conversationId: "c1", cardId: "card1", name: "8x8" });
    await api.actionExecute({ conversationId: "c1", cardId: "card1", name: "8x8-Int", tenantId: "other" });
    expect(stub.requests.map((r) => [r.method, r.path, r.json()])).toEqual([
      ["PUT", "/api/v1/tenant/acme01/conversations/c1/cards/card1/action-submit", { name: "8x8" }],
      ["PUT", "/api/v1/tenant/other/conversations/c1/cards/card1/action-execute", { name: "8x8-Int" }],
    ]);
  });

  it("refuses a card action without any tenant before sending", async () => {
    await expect(
      client().cards.actionSubmit({ conversationId: "c1", cardId: "k", name: "n" }),
    ).rejects.toMatchObject({
      code: "BATON_ERR_8X8_INPUT_INVALID",
      details: { field: "tenantId" },
    });
    expect(stub.requests).toHaveLength(0);
  });
});
