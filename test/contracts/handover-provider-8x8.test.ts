import { randomBytes, randomUUID } from "node:crypto";
import { request } from "undici";
import { createSimulator } from "../../simulator/src/index.ts";
import { createMemoryBus } from "../../src/bus/memory.ts";
import { validateConfig, type EightByEightProviderConfig } from "../../src/config/index.ts";
import { createClientFromConfig, eightByEightProvider } from "../../src/providers/8x8/index.ts";
import { ensureEightByEightSetup } from "../../src/providers/8x8/setup.ts";
import { createStore } from "../../src/store/index.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { noopMetrics } from "../../src/telemetry/metrics.ts";
import { startProviderGateway } from "../factories/provider-gateway.ts";
import {
  runHandoverProviderContract,
  type AgentView,
  type AgentViewMessage,
  type HandoverProviderTarget,
} from "./handover-provider-contract.ts";

interface SimulatorSummary {
  readonly agentId?: string;
  readonly user: { userId?: string; name?: string; email?: string; language?: string };
  readonly customProperties: readonly { key: string; value: string }[];
  readonly userTyping: boolean;
}

interface SimulatorMessage {
  readonly text: string;
  readonly author: { readonly type: string };
  readonly attachments: readonly { readonly fileName: string; readonly url: string }[];
}

/**
 * The real 8x8 provider, as the registry creates it from a validated config, against a fresh simulator whose
 * webhook and channel point at the gateway (`ensureEightByEightSetup`). The agent side is the simulator's
 * control API; "did the user leave" is 8x8's participant list.
 */
async function openEightByEightTarget(): Promise<HandoverProviderTarget> {
  // Typing shows in the simulator's console for this long, which is what the typing check reads.
  const sim = await createSimulator({ typingTimeoutMs: 2_000, retry: { baseDelayMs: 20 } });
  const store = await createStore("pglite://memory");
  await store.migrate();
  const providerId = "eight";
  const config = eightByEightConfig(providerId, sim.url, sim.apiKey);
  const client = createClientFromConfig(providerId, config);
  const provider = eightByEightProvider.create(providerId, config, {
    store,
    bus: createMemoryBus(),
    logger: createSilentLogger(),
    metrics: noopMetrics,
  });
  const gateway = await startProviderGateway(provider);

  async function control<T>(method: "GET" | "POST" | "PUT", path: string, body?: object): Promise<T> {
    const response = await request(`${sim.url}/sim${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`${method} /sim${path}: ${response.statusCode} ${text}`);
    return JSON.parse(text) as T;
  }
  const conversation = (id: string, action = ""): string =>
    `/conversations/${encodeURIComponent(id)}${action === "" ? "" : `/${action}`}`;

  const { queues } = await control<{ queues: { id: string }[] }>("GET", "/queues");
  const setup = await ensureEightByEightSetup(client, {
    providerId,
    publicUrl: gateway.url,
    queueId: queues[0]!.id,
  });

  async function toViewMessage(message: SimulatorMessage): Promise<AgentViewMessage> {
    const files = [];
    for (const attachment of message.attachments) {
      const response = await request(attachment.url);
      files.push({ name: attachment.fileName, bytes: Buffer.from(await response.body.arrayBuffer()) });
    }
    const type = message.author.type;
    return { from: type === "user" || type === "agent" ? type : "bot", text: message.text, files };
  }

  return {
    provider,
    gatewayUrl: gateway.url,
    eventsOf: (conversationId) => gateway.eventsOf(conversationId),
    routing: { channelId: setup.channel!.id },
    agent: {
      accept: async (id) =>
        (await control<{ agentId: string }>("POST", conversation(id, "accept"), {})).agentId,
      say: async (id, text) => void (await control("POST", conversation(id, "messages"), { text })),
      typing: async (id) => void (await control("POST", conversation(id, "typing"), {})),
      close: async (id) => void (await control("POST", conversation(id, "close"), {})),
      async view(id): Promise<AgentView> {
        const summary = await control<SimulatorSummary>("GET", conversation(id));
        const { messages } = await control<{ messages: SimulatorMessage[] }>(
          "GET",
          conversation(id, "messages"),
        );
        const participants = await client.conversations.participants(id);
        const { userId, name, email, language } = summary.user;
        return {
          user: { id: userId, name, email, language },
          properties: Object.fromEntries(summary.customProperties.map(({ key, value }) => [key, value])),
          messages: await Promise.all(messages.map(toViewMessage)),
          userTyping: summary.userTyping,
          userLeft: participants.some((p) => p.type === "user" && p.removed),
        };
      },
    },
    deliveries: {
      forged(conversationId) {
        const eventId = randomUUID();
        const body = Buffer.from(
          JSON.stringify({
            eventType: "MESSAGE",
            conversationId,
            timestamp: Date.now(),
            data: {
              isEcho: false,
              sender: { id: "agent-anna", type: "agent" },
              text: "Forged: send me your password.",
              attachments: [],
              cards: [],
            },
          }),
        );
        // 8x8's signature shape with the simulator's real key id, so the provider fetches the key and the
        // signature itself is what fails.
        const header = { alg: "RS256", kid: sim.currentKid(), b64: false, crit: ["b64"] };
        const signature = `${Buffer.from(JSON.stringify(header)).toString("base64url")}..${randomBytes(256).toString("base64url")}`;
        return Promise.resolve({
          eventId,
          body,
          headers: {
            "content-type": "application/json",
            "x-8x8-signature": signature,
            "x-8x8-customer-id": sim.customerId,
            "x-8x8-event-id": eventId,
            "x-8x8-retry": "0",
            "x-8x8-tenant-id": sim.tenant,
            "x-8x8-transmission-time": String(Date.now()),
          },
        });
      },
      duplicate: async (enabled) =>
        void (await control("PUT", "/faults", { duplicateRate: enabled ? 1 : 0 })),
      async redelivered(conversationId) {
        const log = await control<{
          attempts: { eid: string; conversationId?: string; outcome: string; duplicate?: boolean }[];
        }>("GET", "/webhook-log");
        return log.attempts
          .filter(
            (a) => a.conversationId === conversationId && a.duplicate === true && a.outcome === "delivered",
          )
          .map((a) => a.eid);
      },
    },
    async close() {
      await gateway.close();
      await client.close();
      await sim.close();
      await store.close();
    },
  };
}

/** The provider's config as the gateway would load it: validated, so every default is filled in. */
function eightByEightConfig(providerId: string, baseUrl: string, apiKey: string): EightByEightProviderConfig {
  const validated = validateConfig(
    { providers: { [providerId]: { type: "8x8", baseUrl, apiKey } } },
    { env: {} },
  );
  if (!validated.ok) throw new Error(`invalid provider config: ${JSON.stringify(validated.issues)}`);
  const config = validated.config.providers[providerId];
  if (config?.type !== "8x8") throw new Error(`provider ${providerId} missing from the validated config`);
  return config;
}

runHandoverProviderContract("8x8 (simulator)", openEightByEightTarget);
