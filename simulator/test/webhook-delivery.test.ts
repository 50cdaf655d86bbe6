import { afterEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../src/index.ts";
import { api, createChannel, createConversation } from "./support/gateway-client.ts";
import { waitFor } from "./support/wait-for.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator | undefined;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = receiver = undefined;
});

describe("webhook verification", () => {
  it("sends WEB_HOOK_VERIFY to a webhook's uri when the webhook is created", async () => {
    sim = await createSimulator();
    receiver = await startWebhookReceiver();
    const created = await api(sim, "POST", "/webhooks", {
      name: "baton",
      uri: receiver.url,
      version: "Chat Gateway v1.0",
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.any(String) as unknown,
      name: "baton",
      uri: receiver.url,
      version: "Chat Gateway v1.0",
    });
    const verify = await waitFor(() => receiver?.requests[0], { what: "WEB_HOOK_VERIFY" });
    expect(verify.event).toEqual({ notificationVersion: "Chat Gateway v1.0", eventType: "WEB_HOOK_VERIFY" });
    expect(verify.headers["x-8x8-signature"]).toMatch(/^[\w-]+\.\.[\w-]+$/);
  });

  it("creates the webhook even when its verification fails", async () => {
    sim = await createSimulator();
    receiver = await startWebhookReceiver(() => 500);
    const created = await api(sim, "POST", "/webhooks", {
      name: "w",
      uri: receiver.url,
      notificationVersion: "Chat Gateway v1.0",
    });
    expect(created.status).toBe(200);
    await waitFor(() => receiver?.requests.length === 1, { what: "verify attempt" });
    expect(sim.webhookLog()).toMatchObject([
      { eventType: "WEB_HOOK_VERIFY", status: 500, outcome: "failed" },
    ]);
  });

  it("answers POST /webhooks/verify with 204 when the target answers 2xx and 400 otherwise", async () => {
    sim = await createSimulator();
    receiver = await startWebhookReceiver(({ index }) => (index === 0 ? 200 : 503));
    expect(
      (await api(sim, "POST", "/webhooks/verify", { version: "Chat Gateway v1.0", uri: receiver.url }))
        .status,
    ).toBe(204);
    const failed = await api<{ errors: Array<{ code: string }> }>(sim, "POST", "/webhooks/verify", {
      version: "Chat Gateway v1.0",
      uri: receiver.url,
    });
    expect(failed.status).toBe(400);
    expect(failed.body.errors[0]?.code).toBe("webhook_verification_failed");
    const unreachable = await api(sim, "POST", "/webhooks/verify", {
      version: "v2.0",
      uri: "http://127.0.0.1:1/hook",
    });
    expect(unreachable.status).toBe(400);
  });

  it("rejects a webhook without a valid version", async () => {
    sim = await createSimulator();
    for (const body of [
      { name: "w", uri: "http://127.0.0.1:9/x" },
      { name: "w", uri: "http://127.0.0.1:9/x", version: "v2.0" },
      { name: "w", uri: "not a uri", version: "Chat Gateway v1.0" },
    ]) {
      expect((await api(sim, "POST", "/webhooks", body)).status).toBe(400);
    }
  });
});

describe("webhook retries", () => {
  it("retries a failed event with the same event id, x-8x8-retry + 1 and a fresh transmission time", async () => {
    sim = await createSimulator({ retry: { baseDelayMs: 5 } });
    // Answer 500 to the first conversation event, 200 to everything else.
    let failedOnce = false;
    receiver = await startWebhookReceiver(({ event }) => {
      if (failedOnce || event.eventType === "WEB_HOOK_VERIFY") return 200;
      failedOnce = true;
      return 500;
    });
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await waitFor(() => receiver?.labels(id).length === 3, { what: "3 accepted events" });

    const [failed, retried] = receiver.requests.filter((r) => r.event.conversationId === id).slice(0, 2);
    expect(failed?.status).toBe(500);
    expect(retried?.status).toBe(200);
    expect(retried?.headers["x-8x8-event-id"]).toBe(failed?.headers["x-8x8-event-id"]);
    expect(failed?.headers["x-8x8-retry"]).toBe("0");
    expect(retried?.headers["x-8x8-retry"]).toBe("1");
    expect(Number(retried?.headers["x-8x8-transmission-time"])).toBeGreaterThanOrEqual(
      Number(failed?.headers["x-8x8-transmission-time"]),
    );
    expect(retried?.raw.equals(failed?.raw ?? Buffer.alloc(0))).toBe(true);
    // Order is kept: the retried event still comes before the conversation's later events.
    expect(receiver.labels(id)).toEqual([
      "CONVERSATION_UPDATE:created",
      "CONVERSATION_UPDATE:active/queue",
      "QUEUED:311",
    ]);
  });

  it("gives up after maxAttempts and moves on to the conversation's next event", async () => {
    sim = await createSimulator({ retry: { baseDelayMs: 1, maxAttempts: 3 } });
    receiver = await startWebhookReceiver(({ event }) =>
      event.eventType === "CONVERSATION_UPDATE" && event.data?.["state"] === "created" ? 500 : 200,
    );
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await waitFor(() => receiver?.labels(id).length === 2, { what: "events after the given-up one" });
    await sim.settled();
    const attempts = sim
      .webhookLog()
      .filter((a) => a.conversationId === id && a.eventType === "CONVERSATION_UPDATE");
    expect(attempts.slice(0, 4).map((a) => `${a.retry}:${a.outcome}`)).toEqual([
      "0:failed",
      "1:failed",
      "2:failed",
      "2:gave-up",
    ]);
    expect(receiver.labels(id)).toEqual(["CONVERSATION_UPDATE:active/queue", "QUEUED:311"]);
  });

  it("logs every attempt in GET /sim/webhook-log", async () => {
    sim = await createSimulator();
    receiver = await startWebhookReceiver();
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await waitFor(() => receiver?.labels(id).length === 3, { what: "3 events" });
    await sim.settled();
    const response = await fetch(`${sim.url}/sim/webhook-log`);
    const log = (await response.json()) as { attempts: Array<Record<string, unknown>> };
    expect(log.attempts).toHaveLength(4);
    expect(log.attempts.find((attempt) => attempt["eventType"] === "CONVERSATION_UPDATE")).toEqual({
      eid: expect.any(String) as unknown,
      eventType: "CONVERSATION_UPDATE",
      conversationId: id,
      retry: 0,
      url: receiver.url,
      at: expect.any(String) as unknown,
      status: 200,
      outcome: "delivered",
    });
  });
});
