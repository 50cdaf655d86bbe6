import { afterEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator, type WebhookAttempt } from "../src/index.ts";
import { control, createChannel, createConversation } from "./support/gateway-client.ts";
import { waitFor } from "./support/wait-for.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator | undefined;
let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = receiver = undefined;
});

/** A receiver that verifies webhooks but refuses every conversation event. */
const refusingEvents = () =>
  startWebhookReceiver(({ event }) => (event.eventType === "WEB_HOOK_VERIFY" ? 200 : 500));

/** Each event's attempts as `retry:outcome`, by event type, in log order. */
function attemptsByEvent(log: WebhookAttempt[], conversationId: string): Map<string, string[]> {
  const byEvent = new Map<string, string[]>();
  for (const attempt of log.filter((a) => a.conversationId === conversationId)) {
    const key = `${attempt.eventType}#${attempt.eid}`;
    byEvent.set(key, [...(byEvent.get(key) ?? []), `${attempt.retry}:${attempt.outcome}`]);
  }
  return byEvent;
}

describe("the webhook retry budget", () => {
  it("gives each event up after maxAttempts attempts, logs a gave-up row, and keeps the order", async () => {
    sim = await createSimulator({ retry: { maxAttempts: 3, baseDelayMs: 1 } });
    receiver = await refusingEvents();
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);

    await waitFor(() => sim?.webhookLog().filter((a) => a.outcome === "gave-up").length === 3, {
      what: "three events given up",
    });

    const byEvent = attemptsByEvent(sim.webhookLog(), id);
    expect([...byEvent.keys()].map((key) => key.split("#")[0])).toEqual([
      "CONVERSATION_UPDATE",
      "CONVERSATION_UPDATE",
      "QUEUED",
    ]);
    for (const attempts of byEvent.values()) {
      expect(attempts).toEqual(["0:failed", "1:failed", "2:failed", "2:gave-up"]);
    }
    const gaveUp = sim.webhookLog().find((a) => a.outcome === "gave-up");
    expect(gaveUp?.error).toBe("gave up after 3 attempts");
    // The next event waited for the previous one to be given up: each event's attempts form one run.
    const eids = sim
      .webhookLog()
      .filter((a) => a.conversationId === id)
      .map((a) => a.eid);
    const runs = eids.filter((eid, index) => eid !== eids[index - 1]);
    expect(runs).toHaveLength(3);
  });

  it("shows the budget at GET /sim/webhook-retry and changes it with PUT, for events already retrying too", async () => {
    sim = await createSimulator({ retry: { baseDelayMs: 1 } });
    expect((await control(sim, "GET", "/webhook-retry")).body).toEqual({ maxAttempts: 8, baseDelayMs: 1 });
    receiver = await refusingEvents();
    const channelId = await createChannel(sim, receiver);
    sim.setWebhookRetry({ baseDelayMs: 200 });
    const id = await createConversation(sim, channelId);
    await waitFor(() => sim?.webhookLog().some((a) => a.conversationId === id && a.outcome === "failed"), {
      what: "the first failed attempt",
    });

    const updated = await control(sim, "PUT", "/webhook-retry", { maxAttempts: 1, baseDelayMs: 0 });

    expect(updated).toMatchObject({ status: 200, body: { maxAttempts: 1, baseDelayMs: 0 } });
    expect(sim.webhookRetry()).toEqual({ maxAttempts: 1, baseDelayMs: 0 });
    await waitFor(() => sim?.webhookLog().filter((a) => a.outcome === "gave-up").length === 3, {
      what: "every event given up under the new budget",
    });
    const byEvent = [...attemptsByEvent(sim.webhookLog(), id).values()];
    // The first event had already failed once under the old budget; the others get exactly one attempt.
    expect(byEvent[0]?.at(-1)).toMatch(/:gave-up$/);
    expect(byEvent.slice(1)).toEqual([
      ["0:failed", "0:gave-up"],
      ["0:failed", "0:gave-up"],
    ]);
  });

  it("refuses a bad budget with 400 naming the field, and keeps the old one", async () => {
    sim = await createSimulator({ retry: { maxAttempts: 4, baseDelayMs: 10 } });
    const bad: Array<[unknown, string]> = [
      [{ maxAttempts: 0 }, "maxAttempts"],
      [{ maxAttempts: 101 }, "maxAttempts"],
      [{ maxAttempts: 2.5 }, "maxAttempts"],
      [{ maxAttempts: "3" }, "maxAttempts"],
      [{ baseDelayMs: -1 }, "baseDelayMs"],
      [{ baseDelayMs: 60_001 }, "baseDelayMs"],
      [{ attempts: 3 }, "attempts"],
      [[3], "body"],
    ];
    for (const [body, field] of bad) {
      const result = await control(sim, "PUT", "/webhook-retry", body);
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
    expect((await control(sim, "GET", "/webhook-retry")).body).toEqual({ maxAttempts: 4, baseDelayMs: 10 });
    expect(() => sim?.setWebhookRetry({ maxAttempts: -1 })).toThrow(/maxAttempts/);
    await expect(createSimulator({ retry: { baseDelayMs: 1.5 } })).rejects.toThrow(/baseDelayMs/);
  });
});
