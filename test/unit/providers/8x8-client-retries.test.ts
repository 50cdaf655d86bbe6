import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isChatGatewayError, type ChatGatewayError } from "../../../src/providers/8x8/gateway-error.ts";
import { createTestClient, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

const webhook = { id: "12", name: "baton", uri: "https://baton.example/hook" };

function setup(overrides: Parameters<typeof createTestClient>[1] = {}, baseUrl = stub.url): TestClient {
  harness = createTestClient(baseUrl, overrides);
  return harness;
}

async function rejection(promise: Promise<unknown>): Promise<ChatGatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isChatGatewayError(error)) throw new Error(`expected a ChatGatewayError, got ${String(error)}`);
  return error;
}

/** A port that was free a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("retries", () => {
  it("retries a 503 and then succeeds, with full-jitter backoff and one metric per attempt", async () => {
    stub.enqueue({ status: 503 }, { status: 503 }, { status: 200, body: webhook });
    const { client, sleeps, calls } = setup({ providerId: "eight" });
    expect(await client.webhooks.get("12")).toEqual(webhook);
    expect(stub.requests).toHaveLength(3);
    // random() = 0.5: half of min(maxDelay, 200·2^(n-1)).
    expect(sleeps).toEqual([100, 200]);
    expect(calls.map((c) => [c.providerId, c.operation, c.status])).toEqual([
      ["eight", "webhooks.get", "503"],
      ["eight", "webhooks.get", "503"],
      ["eight", "webhooks.get", "200"],
    ]);
    expect(calls.every((c) => c.seconds >= 0 && c.seconds < 5)).toBe(true);
  });

  it("caps the backoff at maxDelayMs", async () => {
    stub.handle(() => ({ status: 500 }));
    const { client, sleeps } = setup({
      retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 3000 },
      random: () => 0.999,
    });
    const error = await rejection(client.webhooks.get("12"));
    expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
    expect(error.details.attempts).toBe(5);
    expect(sleeps).toEqual([999, 1998, 2997, 2997]);
  });

  it("honours Retry-After in delta-seconds on 429", async () => {
    stub.enqueue({ status: 429, headers: { "retry-after": "7" } }, { status: 200, body: webhook });
    const { client, sleeps, calls } = setup();
    await client.webhooks.get("12");
    expect(sleeps).toEqual([7000]);
    expect(calls.map((c) => c.status)).toEqual(["429", "200"]);
  });

  it("honours Retry-After as an HTTP-date", async () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    stub.enqueue(
      { status: 503, headers: { "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" } },
      { status: 200, body: webhook },
    );
    const { client, sleeps } = setup({ now: () => now });
    await client.webhooks.get("12");
    expect(sleeps).toEqual([3000]);
  });

  it("gives up early when Retry-After exceeds the cap and reports it for an outbox", async () => {
    stub.handle(() => ({ status: 429, headers: { "retry-after": "120" }, body: { message: "slow down" } }));
    const { client, sleeps } = setup({ retry: { retryAfterCapMs: 30_000 } });
    const error = await rejection(client.webhooks.get("12"));
    expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
    expect(error.details).toMatchObject({
      status: 429,
      retryAfterMs: 120_000,
      attempts: 1,
      providerMessage: "slow down",
    });
    expect(sleeps).toEqual([]);
    expect(stub.requests).toHaveLength(1);
  });

  it.each([400, 401, 403, 404, 409, 422])("never retries a %i", async (status) => {
    stub.handle(() => ({ status, body: { message: "no" } }));
    const { client, sleeps } = setup();
    const error = await rejection(client.webhooks.get("12"));
    expect(error.code).toBe("BATON_ERR_8X8_REQUEST_REJECTED");
    expect(error.httpStatus).toBe(status);
    expect(stub.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("exhausts retries on 5xx as BATON_ERR_8X8_UNAVAILABLE", async () => {
    stub.handle(() => ({
      status: 500,
      body: { message: "Internal error.", errors: [{ code: "internal", message: "boom" }] },
    }));
    const { client } = setup();
    const error = await rejection(client.webhooks.get("12"));
    expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
    expect(error.details).toMatchObject({ status: 500, attempts: 4, providerMessage: "Internal error." });
    expect(stub.requests).toHaveLength(4);
  });

  it("retries network errors (closed port) and then fails with BATON_ERR_8X8_UNAVAILABLE", async () => {
    const port = await closedPort();
    const { client, sleeps, calls } = setup({ retry: { maxAttempts: 3 } }, `http://127.0.0.1:${port}`);
    const error = await rejection(client.webhooks.get("12"));
    expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
    expect(error.details).toMatchObject({ reason: "network", attempts: 3 });
    expect(error.httpStatus).toBeUndefined();
    expect(sleeps).toHaveLength(2);
    expect(calls.map((c) => c.status)).toEqual(["network", "network", "network"]);
  });

  it("retries a dropped connection and then succeeds", async () => {
    stub.enqueue({ destroy: true }, { status: 200, body: webhook });
    const { client } = setup();
    expect((await client.webhooks.get("12")).id).toBe("12");
    expect(stub.requests).toHaveLength(2);
  });

  it("times out an attempt that never answers and ends with BATON_ERR_8X8_TIMEOUT", async () => {
    stub.handle(() => ({ hang: true }));
    const { client, calls } = setup({ timeoutMs: 100, retry: { maxAttempts: 2 } });
    const started = Date.now();
    const error = await rejection(client.webhooks.get("12"));
    expect(error.code).toBe("BATON_ERR_8X8_TIMEOUT");
    expect(error.details).toMatchObject({ reason: "timeout", attempts: 2, operation: "webhooks.get" });
    expect(calls.map((c) => c.status)).toEqual(["timeout", "timeout"]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a per-call timeoutMs overrides the client's", async () => {
    stub.handle(() => ({ hang: true }));
    const { client } = setup({ timeoutMs: 60_000 });
    const error = await rejection(client.webhooks.get("12", { timeoutMs: 100, retry: false }));
    expect(error.code).toBe("BATON_ERR_8X8_TIMEOUT");
  });

  it("retry: false sends exactly once (non-idempotent sends owned by an outbox)", async () => {
    stub.handle(() => ({ status: 503 }));
    const { client, sleeps } = setup();
    const error = await rejection(
      client.messages.send("c1", { authorType: "bot", text: "hi" }, { retry: false }),
    );
    expect(error.code).toBe("BATON_ERR_8X8_UNAVAILABLE");
    expect(error.details.attempts).toBe(1);
    expect(stub.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("re-sends the same body on every attempt", async () => {
    stub.enqueue({ status: 502 }, { status: 202 });
    const { client } = setup();
    await client.messages.send("c1", { authorType: "bot", text: "hi" });
    expect(stub.requests.map((r) => r.body.toString())).toEqual([
      '{"authorType":"bot","text":"hi"}',
      '{"authorType":"bot","text":"hi"}',
    ]);
  });

  it("fails fast after close()", async () => {
    const { client } = setup();
    await client.close();
    const error = await rejection(client.webhooks.get("12"));
    expect(error.details).toMatchObject({ reason: "client_closed", attempts: 0 });
    expect(stub.requests).toHaveLength(0);
  });
});
