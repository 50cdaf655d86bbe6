import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../src/index.ts";
import { api, control, createChannel, createConversation } from "./support/gateway-client.ts";
import { waitFor } from "./support/wait-for.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator | undefined;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = receiver = undefined;
});

/** A random source that returns `values` in turn, then `rest` forever. */
function sequence(values: number[], rest = 0.99): () => number {
  let index = 0;
  return () => values[index++] ?? rest;
}

describe("fault injection", () => {
  it("errorRate answers errorStatus with GenericExceptionPayload before any side effect", async () => {
    sim = await createSimulator({ random: () => 0 });
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    await waitFor(() => receiver?.requests.length === 1, { what: "WEB_HOOK_VERIFY" });
    sim.setFaults({ errorRate: 1 });

    const create = await api(sim, "POST", "/conversations", { channelId, user: { name: "A" } });
    expect(create.status).toBe(503);
    expect(create.contentType).toBe("application/problem+json");
    expect(create.body).toEqual({
      message: expect.any(String) as unknown,
      errors: [{ code: "simulated_fault", message: expect.any(String) as unknown }],
    });
    expect(
      (await api(sim, "POST", "/webhooks", { name: "w", uri: receiver.url, version: "Chat Gateway v1.0" }))
        .status,
    ).toBe(503);

    // The control API and the JWK endpoint are never faulted.
    expect((await control(sim, "GET", "/conversations")).status).toBe(200);
    expect((await fetch(`${sim.url}/chat-gateway/v1/jwk/${sim.currentKid()}/public`)).status).toBe(200);

    await control(sim, "PUT", "/faults", { errorStatus: 500 });
    expect((await api(sim, "GET", "/webhooks")).status).toBe(500);

    sim.resetFaults();
    const webhooks = await api<{ page: { totalElements: number } }>(sim, "GET", "/webhooks");
    expect(webhooks.body.page.totalElements).toBe(1);
    expect(sim.conversations()).toEqual([]);
    await sim.settled();
    expect(receiver.requests).toHaveLength(1);
  });

  it("latencyMs delays 8x8 API responses", async () => {
    sim = await createSimulator();
    sim.setFaults({ latencyMs: 120 });
    const started = Date.now();
    expect((await api(sim, "GET", "/webhooks")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("duplicateRate delivers an event twice with the same event id and body, both with retry 0", async () => {
    sim = await createSimulator({ random: () => 0 });
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    sim.setFaults({ duplicateRate: 1 });
    const id = await createConversation(sim, channelId);
    const requests = await waitFor(
      () => {
        const forConversation = receiver?.requests.filter((r) => r.event.conversationId === id) ?? [];
        return forConversation.length === 6 && forConversation;
      },
      { what: "6 deliveries" },
    );
    const byEventId = new Map<string, typeof requests>();
    for (const request of requests) {
      const eid = String(request.headers["x-8x8-event-id"]);
      byEventId.set(eid, [...(byEventId.get(eid) ?? []), request]);
    }
    expect(byEventId.size).toBe(3);
    for (const pair of byEventId.values()) {
      expect(pair).toHaveLength(2);
      const [first, second] = pair;
      expect(first?.raw.equals(second?.raw ?? Buffer.alloc(0))).toBe(true);
      expect(pair.map((r) => r.headers["x-8x8-retry"])).toEqual(["0", "0"]);
    }
    expect(sim.webhookLog().filter((a) => a.duplicate === true)).toHaveLength(3);
  });

  it("reorderRate holds an event back so the conversation's next event overtakes it", async () => {
    // The first reorder draw triggers, every later one does not.
    sim = await createSimulator({ random: sequence([0]) });
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    sim.setFaults({ reorderRate: 0.5 });
    const id = await createConversation(sim, channelId);
    await waitFor(() => receiver?.labels(id).length === 3, { what: "3 events" });
    expect(receiver.labels(id)).toEqual([
      "CONVERSATION_UPDATE:active/queue",
      "CONVERSATION_UPDATE:created",
      "QUEUED:311",
    ]);
  });

  it("reorderRate delivers a held event after a bounded hold when no later event comes", async () => {
    sim = await createSimulator({ random: () => 0 });
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await waitFor(() => receiver?.labels(id).length === 3, { what: "3 events" });
    sim.setFaults({ reorderRate: 1 });
    const posted = Date.now();
    await api(sim, "POST", `/conversations/${id}/messages`, { authorType: "user", text: "alone" });
    await waitFor(() => receiver?.labels(id).length === 4, { what: "the held MESSAGE" });
    expect(Date.now() - posted).toBeGreaterThanOrEqual(100);
    expect(receiver.labels(id).at(-1)).toBe("MESSAGE:user/echo");
  });

  it("dropRate skips an attempt and retries the event later with x-8x8-retry + 1", async () => {
    sim = await createSimulator({ random: sequence([0]), retry: { baseDelayMs: 5 } });
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    sim.setFaults({ dropRate: 0.5 });
    const id = await createConversation(sim, channelId);
    await waitFor(() => receiver?.labels(id).length === 3, { what: "3 events" });
    expect(receiver.labels(id)).toEqual([
      "CONVERSATION_UPDATE:created",
      "CONVERSATION_UPDATE:active/queue",
      "QUEUED:311",
    ]);
    const first = receiver.requests.find((r) => r.event.conversationId === id);
    expect(first?.headers["x-8x8-retry"]).toBe("1");
    const attempts = sim.webhookLog().filter((a) => a.eid === first?.headers["x-8x8-event-id"]);
    expect(attempts.map((a) => `${a.retry}:${a.outcome}`)).toEqual(["0:dropped", "1:delivered"]);
  });

  it("validates PUT /sim/faults and returns the full current settings", async () => {
    sim = await createSimulator();
    const updated = await control(sim, "PUT", "/faults", { errorRate: 0.25, latencyMs: 10 });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({
      errorRate: 0.25,
      errorStatus: 503,
      latencyMs: 10,
      duplicateRate: 0,
      reorderRate: 0,
      dropRate: 0,
      lostResponseRate: 0,
    });
    const bad: Array<[object, string]> = [
      [{ errorRate: 1.5 }, "errorRate"],
      [{ dropRate: "0.1" }, "dropRate"],
      [{ lostResponseRate: -0.1 }, "lostResponseRate"],
      [{ lostResponseRate: null }, "lostResponseRate"],
      [{ errorStatus: 200 }, "errorStatus"],
      [{ latencyMs: -1 }, "latencyMs"],
      [{ chaos: 1 }, "chaos"],
    ];
    for (const [body, field] of bad) {
      const result = await control(sim, "PUT", "/faults", body);
      expect(result.status).toBe(400);
      expect(result.body).toEqual({
        error: {
          code: "invalid_input",
          field,
          expected: expect.any(String) as unknown,
          message: expect.any(String) as unknown,
        },
      });
    }
    expect((await control(sim, "GET", "/faults")).body).toMatchObject({ errorRate: 0.25, latencyMs: 10 });
    expect(() => sim?.setFaults({ reorderRate: 2 })).toThrow();
    expect(() => sim?.setFaults({ lostResponseRate: 1.01 })).toThrow(/lostResponseRate/);
    expect(sim.faults().lostResponseRate).toBe(0);
  });
});

/** A raw 8x8 API call whose outcome, answer or connection error, is returned rather than thrown. */
async function rawApiCall(
  sim: Simulator,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<{ status: number } | { error: string }> {
  try {
    const response = await request(`${sim.url}/chat-gateway/v1${path}`, {
      method,
      headers: { "x-api-key": sim.apiKey, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    await response.body.dump();
    return { status: response.statusCode };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

describe("the lost-response fault", () => {
  it("creates the conversation and sends its events, then resets the connection without an answer", async () => {
    sim = await createSimulator({ random: () => 0 });
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    sim.setFaults({ lostResponseRate: 1 });

    const outcome = await rawApiCall(sim, "POST", "/conversations", { channelId, user: { name: "Ana" } });

    expect(outcome).toEqual({ error: "ECONNRESET" });
    sim.resetFaults();
    const [created] = sim.conversations();
    expect(created?.status).toBe("queued");
    const id = created?.id ?? "";
    await waitFor(() => receiver?.labels(id).length === 3, { what: "the created conversation's events" });
    expect(receiver.labels(id)).toEqual([
      "CONVERSATION_UPDATE:created",
      "CONVERSATION_UPDATE:active/queue",
      "QUEUED:311",
    ]);
    expect(sim.requestLog().filter((r) => r.outcome === "lost-response")).toEqual([
      {
        at: expect.any(String) as unknown,
        method: "POST",
        path: "/chat-gateway/v1/conversations",
        status: 202,
        outcome: "lost-response",
      },
    ]);
  });

  it("stores a message whose answer is lost and echoes it once; a retry by the caller stores it again", async () => {
    sim = await createSimulator({ random: () => 0 });
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    sim.setFaults({ lostResponseRate: 1 });

    const lost = await rawApiCall(sim, "POST", `/conversations/${id}/messages`, {
      authorType: "user",
      text: "did this arrive?",
    });
    sim.resetFaults();
    const retried = await rawApiCall(sim, "POST", `/conversations/${id}/messages`, {
      authorType: "user",
      text: "did this arrive?",
    });

    expect(lost).toEqual({ error: "ECONNRESET" });
    expect(retried).toEqual({ status: 202 });
    // The simulator, like 8x8, has no idempotency key: the caller's blind retry is a second message.
    const messages = await control<{ messages: Array<{ text: string }> }>(
      sim,
      "GET",
      `/conversations/${id}/messages`,
    );
    expect(messages.body.messages.map((m) => m.text)).toEqual(["did this arrive?", "did this arrive?"]);
    await waitFor(() => receiver?.labels(id).filter((l) => l.startsWith("MESSAGE")).length === 2, {
      what: "both MESSAGE echoes",
    });
  });

  it("hits only the drawn fraction of 8x8 API calls, and the request log counts them", async () => {
    // Draws for five calls: lost, answered, lost, answered, answered.
    sim = await createSimulator({ random: sequence([0, 0.9, 0.1, 0.5, 0.99]) });
    sim.setFaults({ lostResponseRate: 0.3 });
    const outcomes = [];
    for (let call = 0; call < 5; call++) outcomes.push(await rawApiCall(sim, "GET", "/webhooks"));

    expect(outcomes).toEqual([
      { error: "ECONNRESET" },
      { status: 200 },
      { error: "ECONNRESET" },
      { status: 200 },
      { status: 200 },
    ]);
    expect(sim.requestLog().map((r) => r.outcome)).toEqual([
      "lost-response",
      "answered",
      "lost-response",
      "answered",
      "answered",
    ]);
    const log = await control<{ requests: Array<{ outcome: string }> }>(sim, "GET", "/request-log");
    expect(log.body.requests.filter((r) => r.outcome === "lost-response")).toHaveLength(2);
  });

  it("never touches the control API or the JWK endpoint, and an errorRate fault wins before it", async () => {
    sim = await createSimulator({ random: () => 0 });
    sim.setFaults({ lostResponseRate: 1 });
    expect((await control(sim, "GET", "/conversations")).status).toBe(200);
    expect((await control(sim, "PUT", "/faults", { latencyMs: 0 })).status).toBe(200);
    expect((await fetch(`${sim.url}/chat-gateway/v1/jwk/${sim.currentKid()}/public`)).status).toBe(200);

    sim.setFaults({ errorRate: 1 });
    expect(await rawApiCall(sim, "GET", "/webhooks")).toEqual({ status: 503 });
    expect(sim.requestLog().map((r) => `${r.status}:${r.outcome}`)).toEqual(["503:fault-error"]);
  });
});
