import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isChatGatewayError, type ChatGatewayError } from "../../../src/providers/8x8/gateway-error.ts";
import { createEightByEightHandoverOperations } from "../../../src/providers/8x8/handover-operations.ts";
import { createTestClient, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

function setup(overrides: Parameters<typeof createTestClient>[1] = {}, baseUrl = stub.url) {
  harness = createTestClient(baseUrl, overrides);
  return { ...harness, operations: createEightByEightHandoverOperations(harness.client, {}) };
}

async function rejection(promise: Promise<unknown>): Promise<ChatGatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isChatGatewayError(error)) throw new Error(`expected a ChatGatewayError, got ${String(error)}`);
  return error;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const posts = () => stub.requests.filter((r) => r.method === "POST");

describe("8x8 sends: a failure that proves nothing happened is retried in-process", () => {
  it.each([503, 429])("retries a user message answered %i, and it is posted once", async (status) => {
    stub.enqueue({ status }, { status }, { status: 202 });
    const { operations, sleeps } = setup();
    await operations.sendUserMessage("c1", { text: "Where is my parcel?" });
    expect(posts()).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it("honours a short Retry-After in-process for a send", async () => {
    stub.enqueue({ status: 429, headers: { "retry-after": "2" } }, { status: 202 });
    const { operations, sleeps } = setup();
    await operations.notifyAgent("c1", "The user left the chat.");
    expect(sleeps).toEqual([2_000]);
    expect(posts()).toHaveLength(2);
  });

  it("hands a Retry-After beyond the in-process cap of a send (10 s) to the outbox as retryAfterMs, not ambiguous", async () => {
    stub.handle(() => ({ status: 503, headers: { "retry-after": "11" } }));
    const { operations, sleeps } = setup();
    const error = await rejection(operations.sendUserMessage("c1", { text: "hi" }));
    expect(error.details).toMatchObject({ status: 503, retryAfterMs: 11_000, attempts: 1 });
    expect(error.details.ambiguous).toBeUndefined();
    expect(sleeps).toEqual([]);
  });

  it("retries a refused connection (8x8 never saw the request)", async () => {
    const { operations, calls } = setup(
      { retry: { maxAttempts: 3 } },
      `http://127.0.0.1:${await closedPort()}`,
    );
    const error = await rejection(operations.sendUserMessage("c1", { text: "hi" }));
    expect(error.details).toMatchObject({ reason: "network", attempts: 3 });
    expect(error.details.ambiguous).toBeUndefined();
    expect(calls.map((c) => c.status)).toEqual(["network", "network", "network"]);
  });
});

describe("8x8 sends: a failure after which the message may be stored is never repeated in-process", () => {
  it.each([500, 502, 504])("stops at a %i and marks it ambiguous", async (status) => {
    stub.handle(() => ({ status }));
    const { operations, sleeps } = setup();
    const error = await rejection(operations.sendUserMessage("c1", { text: "hi" }));
    expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
    expect(error.details).toMatchObject({ status, attempts: 1, ambiguous: true });
    expect(posts()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("stops at a connection dropped after the request was sent", async () => {
    stub.handle(() => ({ destroy: true }));
    const { operations } = setup();
    const error = await rejection(operations.notifyAgent("c1", "hello"));
    expect(error.details).toMatchObject({ reason: "network", attempts: 1, ambiguous: true });
    expect(posts()).toHaveLength(1);
  });

  it("stops at a timeout waiting for the answer", async () => {
    stub.handle(() => ({ hang: true }));
    const { operations } = setup({ timeoutMs: 100 });
    const error = await rejection(operations.sendUserMessage("c1", { text: "hi" }));
    expect(error.code).toBe("BATON_ERR_8X8_TIMEOUT");
    expect(error.details).toMatchObject({ reason: "timeout", attempts: 1, ambiguous: true });
    expect(posts()).toHaveLength(1);
  });

  it("stops a conversation create at a lost answer too (a retry could open a second one)", async () => {
    stub.handle(() => ({ status: 502 }));
    const { operations } = setup();
    const error = await rejection(
      operations.createConversation({
        handoverId: "h1",
        user: { id: "u1" },
        routing: { channelId: "25" },
        transcript: [],
      }),
    );
    expect(error.details).toMatchObject({ status: 502, ambiguous: true, attempts: 1 });
    expect(posts()).toHaveLength(1);
  });

  it("still retries a read that failed the same way (reads are safe to repeat)", async () => {
    stub.enqueue({ status: 500 }, { destroy: true }, { status: 200, body: { _embedded: { messages: [] } } });
    const { client } = setup();
    expect((await client.messages.list("c1")).items).toEqual([]);
    expect(stub.requests).toHaveLength(3);
  });
});

describe("8x8 sends told to check first", () => {
  const listed = (...messages: { type: string; text: string; attachments?: number }[]) => ({
    status: 200,
    body: {
      _embedded: {
        messages: messages.map((m, i) => ({
          id: `m${i}`,
          text: m.text,
          author: { id: m.type, type: m.type },
          attachments: Array.from({ length: m.attachments ?? 0 }, (_, n) => ({ id: `a${n}` })),
        })),
      },
      page: { size: 50, number: 0, totalElements: messages.length, totalPages: 1 },
    },
  });

  it("does not post again a message 8x8 already shows, reading the newest messages first", async () => {
    stub.enqueue(
      listed(
        { type: "user", text: "ok" },
        { type: "agent", text: "Anything else?" },
        { type: "user", text: "ok" },
      ),
    );
    const { operations } = setup();
    const outcome = await operations.sendUserMessage(
      "c1",
      { text: " ok " },
      { checkFirst: { identicalBefore: 1 } },
    );
    expect(outcome).toEqual({ alreadyThere: true });
    expect(stub.requests.map((r) => [r.method, r.path, r.query.get("sort")])).toEqual([
      ["GET", "/chat-gateway/v1/conversations/c1/messages", "createdAt:desc"],
    ]);
  });

  it("posts a message that is not there yet, re-uploading its files", async () => {
    stub.enqueue(
      listed({ type: "user", text: "", attachments: 1 }),
      { status: 200, body: { id: "att-2", filename: "receipt.pdf" } },
      { status: 202 },
    );
    const { operations } = setup();
    const outcome = await operations.sendUserMessage(
      "c1",
      { attachments: [{ name: "receipt.pdf", contentType: "application/pdf", bytes: Buffer.from("%PDF") }] },
      { checkFirst: { identicalBefore: 1 } },
    );
    expect(outcome).toEqual({ alreadyThere: false });
    expect(stub.requests.map((r) => [r.method, r.path])).toEqual([
      ["GET", "/chat-gateway/v1/conversations/c1/messages"],
      ["POST", "/chat-gateway/v1/conversations/c1/attachments"],
      ["POST", "/chat-gateway/v1/conversations/c1/messages"],
    ]);
    expect(stub.requests[2]!.json()).toEqual({ authorType: "user", attachments: [{ id: "att-2" }] });
  });

  it("fails (for the outbox to try again, still checking) when the lookup fails", async () => {
    stub.handle(() => ({ status: 403, body: { message: "The tenant does not belong to customer." } }));
    const { operations } = setup();
    const error = await rejection(
      operations.notifyAgent("c1", "hello", { checkFirst: { identicalBefore: 0 } }),
    );
    expect(error.details.operation).toBe("messages.list");
    expect(posts()).toHaveLength(0);
  });

  it("reads further pages while the run of equal messages goes on", async () => {
    const page = (number: number, totalPages: number, count: number) => ({
      status: 200,
      body: {
        _embedded: {
          messages: Array.from({ length: count }, (_, i) => ({
            id: `p${number}-${i}`,
            text: "ok",
            author: { id: "user", type: "user" },
          })),
        },
        page: { size: 50, number, totalElements: 60, totalPages },
      },
    });
    stub.enqueue(page(0, 2, 50), page(1, 2, 10));
    const { operations } = setup();
    const outcome = await operations.sendUserMessage(
      "c1",
      { text: "ok" },
      { checkFirst: { identicalBefore: 59 } },
    );
    expect(outcome).toEqual({ alreadyThere: true });
    expect(stub.requests.map((r) => r.query.get("page"))).toEqual(["0", "1"]);
  });
});
