import { Writable } from "node:stream";
import { request } from "undici";
import { onTestFinished } from "vitest";
import { validateConfig } from "../../src/config/index.ts";
import { createGateway, type Gateway } from "../../src/index.ts";
import type { ConversationMessage, HandoverBanner } from "../../src/protocol/messages.ts";
import { createLogger } from "../../src/telemetry/logger.ts";
import { createSimulator, type Simulator } from "../../simulator/src/index.ts";
import { startBotReceiver, type BotReceiver } from "./bot-receiver.ts";
import { demoFlow, prepareSimulator } from "./embedded-gateway.ts";

export const botSecret = "bot-secret-0123456789abcdef";

export interface BotSetup {
  readonly simulator: Simulator;
  readonly gateway: Gateway;
  readonly bot: BotReceiver;
  /** The external bot's endpoint (`channel: webhook`, no flow). */
  readonly botToken: string;
  /** A web chat endpoint with the demo flow (for "not a bot endpoint" checks). */
  readonly webToken: string;
  /** The gateway's log lines (JSON), for "it was logged" checks. */
  readonly logs: Record<string, unknown>[];
  /** Calls the gateway as the bot (bearer = the callback secret unless `bearer` says otherwise). */
  readonly api: (
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: unknown,
    bearer?: string | null,
  ) => Promise<{ status: number; body: ApiAnswer }>;
}

/** The gateway's answers as the tests read them (bot API, notify, REST, errors), flattened. */
export interface ApiAnswer {
  readonly error?: {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
    readonly expected?: string;
    readonly handoverId?: string;
  };
  readonly handoverId?: string;
  readonly messages?: readonly (ConversationMessage & { direction: string })[];
  readonly hasMore?: boolean;
  readonly handover?: Record<string, unknown> | null;
  readonly banner?: HandoverBanner;
}

/**
 * The simulator, an external bot's webhook receiver and a gateway on in-memory PGlite with a `bot` endpoint
 * (channel webhook, no flow, handover provider `eight`) whose callbackUrl is that receiver.
 */
export async function startBotGateway(): Promise<BotSetup> {
  const bot = await startBotReceiver(botSecret);
  const simulator = await createSimulator({ retry: { baseDelayMs: 20 } });
  onTestFinished(() => simulator.close());
  const { port, setup } = await prepareSimulator(simulator);
  const config = validateConfig(
    {
      server: { port, host: "127.0.0.1" },
      store: "pglite://memory",
      providers: {
        eight: {
          type: "8x8",
          baseUrl: simulator.url,
          apiKey: simulator.apiKey,
          channelId: setup.channel!.id,
          http: { timeoutMs: 2_000, maxAttempts: 1 },
        },
      },
      endpoints: {
        bot: {
          channel: "webhook",
          callbackUrl: bot.url,
          callbackSecret: "${BOT_SECRET}",
          handover: { provider: "eight" },
        },
        web: { channel: "webchat", flow: demoFlow, handover: { provider: "eight" } },
      },
    },
    { env: { BOT_SECRET: botSecret } },
  );
  if (!config.ok) throw new Error(JSON.stringify(config.issues));
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const gateway = await createGateway(config, {
    port,
    host: "127.0.0.1",
    logger: createLogger({ destination, level: "info" }),
  });
  onTestFinished(() => gateway.close());
  const botToken = gateway.endpoints.get("bot")!.urlToken;
  return {
    simulator,
    gateway,
    bot,
    botToken,
    webToken: gateway.endpoints.get("web")!.urlToken,
    logs,
    async api(method, path, body, bearer = botSecret) {
      const response = await request(`${gateway.url}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.body.text();
      return { status: response.statusCode, body: (text === "" ? {} : JSON.parse(text)) as ApiAnswer };
    },
  };
}
