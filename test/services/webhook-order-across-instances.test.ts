import pg from "pg";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { createSimulator } from "../../simulator/src/index.ts";
import { validateConfig } from "../../src/config/index.ts";
import { createGateway, type Gateway } from "../../src/index.ts";
import { createChatGatewayClient } from "../../src/providers/8x8/client.ts";
import { ensureEightByEightSetup } from "../../src/providers/8x8/setup.ts";
import type { ProviderEvent } from "../../src/providers/port.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { demoFlow, freePort } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { startRedisServer } from "../factories/redis-server.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { startWebhookBalancer } from "../factories/webhook-balancer.ts";
import { postgresUrl, uniqueSchema } from "./service-urls.ts";

const schema = uniqueSchema("baton_order");
afterAll(async () => {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

/** Which instance handed on which 8x8 event, in the order the hand-ons finished (across both). */
interface HandedOn {
  readonly by: string;
  readonly event: ProviderEvent;
}

/**
 * Two gateways on one PostgreSQL and one Redis behind a load balancer for 8x8's webhooks, with the 8x8
 * simulator: the agent's messages reach the two instances alternately and in shuffled order, all within
 * the reorder window, and the user (whose web chat is on instance A) still gets each of them once, in the
 * order the agent wrote them. Without the store-backed window each instance would restore the order of its
 * own half only and the user would see the halves interleaved.
 */
describe("the reorder window across gateway instances", () => {
  it(
    "delivers one conversation's agent messages once each, in timestamp order, whichever instance each reached",
    { timeout: 120_000 },
    async () => {
      const redis = await startRedisServer(await freePort());
      const simulator = await createSimulator({ retry: { baseDelayMs: 20 } });
      onTestFinished(() => simulator.close());
      const balancer = await startWebhookBalancer();
      const client = createChatGatewayClient({ baseUrl: simulator.url, apiKey: simulator.apiKey });
      const setup = await ensureEightByEightSetup(client, {
        providerId: "eight",
        publicUrl: balancer.url,
        queueId: "311",
      });
      await client.close();

      const storeUrl = new URL(postgresUrl);
      storeUrl.searchParams.set("schema", schema);
      const config = validateConfig({
        server: { host: "127.0.0.1" },
        store: storeUrl.toString(),
        bus: redis.url,
        providers: {
          eight: {
            type: "8x8",
            baseUrl: simulator.url,
            apiKey: simulator.apiKey,
            channelId: setup.channel!.id,
            http: { timeoutMs: 3_000, maxAttempts: 2 },
          },
        },
        endpoints: { web: { channel: "webchat", flow: demoFlow, handover: { provider: "eight" } } },
      });
      if (!config.ok) throw new Error(JSON.stringify(config.issues));
      const handedOn: HandedOn[] = [];
      const startInstance = async (by: string): Promise<Gateway> => {
        const gateway = await createGateway(config, {
          port: 0,
          host: "127.0.0.1",
          logger: createSilentLogger(),
          onProviderEvent: (event) => {
            handedOn.push({ by, event });
            return Promise.resolve();
          },
        });
        onTestFinished(() => gateway.close());
        return gateway;
      };
      // One after the other: the first migrates the schema, the second finds it up to date.
      const a = await startInstance("A");
      const b = await startInstance("B");
      balancer.setTargets([a.url, b.url]);

      const agent = simulatorAgent(simulator);
      const webToken = a.endpoints.get("web")!.urlToken;
      expect(b.endpoints.get("web")!.urlToken).toBe(webToken);
      const chat = await connectWebchat(a.url, webToken, { userId: "rosa", sessionId: "s-order" });
      await chat.waitForMessage(says("bot", "demo bot"));
      // The handover's own events (queued, joined, active) already alternate between A and B.
      const waiting = await reachAgent(chat, agent, "rosa");

      balancer.hold();
      const written = Array.from({ length: 8 }, (_, i) => `Agent message ${i + 1} of 8`);
      for (const text of written) {
        const before = Date.now();
        await agent.say(waiting.id, text);
        // Payload timestamps have millisecond resolution: keep them distinct, so that they alone order.
        await waitFor(() => Date.now() > before, 1_000, "the clock to move on");
      }
      const messages = () => balancer.held.filter((d) => d.eventType === "MESSAGE");
      await waitFor(() => messages().length === written.length, 10_000, "the agent's message deliveries");
      const stamps = messages().map((d) => d.timestamp ?? 0);
      expect(new Set(stamps).size).toBe(written.length);

      // Arrival order shuffled, instances alternating: A gets 1st, 3rd, … of the shuffled list, B the others.
      const shuffled = [5, 2, 7, 0, 6, 1, 4, 3].map((n) => balancer.held.indexOf(messages()[n]!));
      const rest = balancer.held.map((_, i) => i).filter((i) => !shuffled.includes(i));
      const statuses = await balancer.release([...shuffled, ...rest], (i) => (i % 2 === 0 ? a.url : b.url));
      expect(statuses.every((status) => status === 200)).toBe(true);

      const agentTexts = () =>
        chat
          .messages()
          .filter((m) => m.source === "agent")
          .map((m) => m.text);
      await waitFor(() => agentTexts().length >= written.length, 15_000, "every agent message");
      // The agent closes: that event is handed on after every message event before it, so once the user is
      // back with the bot, any late or doubled hand-on would have shown.
      await agent.close(waiting.id);
      await chat.waitForMessage(says("bot", "Welcome back"), 15_000);

      expect(agentTexts()).toEqual(written);
      const seqs = chat.messages().map((m) => m.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);

      // Each message event was handed on once, by one instance or the other, in timestamp order overall.
      const messageEvents = handedOn.filter(
        (h) => h.event.kind === "message.received" && h.event.conversationId === waiting.id,
      );
      expect(messageEvents.map((h) => h.event.occurredAt)).toEqual([...stamps].sort((x, y) => x - y));
      expect(new Set(messageEvents.map((h) => h.event.eventId)).size).toBe(written.length);
      await chat.close();
    },
  );
});
