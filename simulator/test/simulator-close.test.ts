import { describe, expect, it } from "vitest";
import { createSimulator } from "../src/index.ts";
import { api, control, createChannel, createConversation } from "./support/gateway-client.ts";
import { waitFor } from "./support/wait-for.ts";
import { startWebhookReceiver } from "./support/webhook-receiver.ts";

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

describe("closing the simulator", () => {
  it("stops pending retries, typing timers, sockets and the server, leaving no resource behind", async () => {
    const receiver = await startWebhookReceiver(({ event }) => (event.eventType === "ACTIVITY" ? 500 : 200));
    const before = countResources();
    const sim = await createSimulator({ typingTimeoutMs: 60_000, retry: { baseDelayMs: 60_000 } });
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await control(sim, "POST", `/conversations/${id}/accept`);
    await control(sim, "POST", `/conversations/${id}/typing`); // a 60 s typing timer
    // The ACTIVITY event fails once, so a 60 s backoff timer is pending when we close.
    await waitFor(() => sim.webhookLog().some((a) => a.eventType === "ACTIVITY" && a.outcome === "failed"), {
      what: "failed ACTIVITY attempt",
    });
    sim.setFaults({ latencyMs: 60_000 });
    const slowCall = api(sim, "GET", "/webhooks").catch((error: unknown) => error);

    const started = Date.now();
    await sim.close();
    await slowCall;
    expect(Date.now() - started).toBeLessThan(2_000);
    await receiver.close();

    expect(countResources().get("Timeout") ?? 0).toBeLessThanOrEqual(before.get("Timeout") ?? 0);
    expect(countResources().get("TCPServerWrap") ?? 0).toBeLessThanOrEqual(before.get("TCPServerWrap") ?? 0);
    // The test's own fetch client notices the closed connections asynchronously.
    await waitFor(() => (countResources().get("TCPSocketWrap") ?? 0) <= (before.get("TCPSocketWrap") ?? 0), {
      timeoutMs: 2_000,
      what: "client sockets to close",
    });
    await expect(sim.close()).resolves.toBeUndefined();
  });
});
