import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import { validateConfig } from "../../src/config/index.ts";
import { createGateway, type Gateway, type GatewayOptions } from "../../src/index.ts";
import { createChatGatewayClient } from "../../src/providers/8x8/client.ts";
import { ensureEightByEightSetup } from "../../src/providers/8x8/setup.ts";
import { createSilentLogger, type Logger } from "../../src/telemetry/logger.ts";
import { createSimulator, type Simulator, type SimulatorOptions } from "../../simulator/src/index.ts";

export const demoFlow = fileURLToPath(new URL("../../flows/demo.yaml", import.meta.url));
export const demoCopilotFlow = fileURLToPath(new URL("../../flows/copilot.yaml", import.meta.url));
export const repoKnowledge = fileURLToPath(new URL("../../knowledge", import.meta.url));

/** A port that was free a moment ago (the gateway's URL must be known before it starts: 8x8's webhook). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/**
 * A port for a gateway that is not listening yet, and the simulator set up for it (a webhook to
 * `/handover/eightByEight/eight` there, and a Chat API channel routed to queue 311), as `npm start` does.
 */
export async function prepareSimulator(simulator: Simulator) {
  const port = await freePort();
  const client = createChatGatewayClient({ baseUrl: simulator.url, apiKey: simulator.apiKey });
  const setup = await ensureEightByEightSetup(client, {
    providerId: "eight",
    publicUrl: `http://127.0.0.1:${port}`,
    queueId: "311",
  });
  await client.close();
  return { port, setup };
}

export interface EmbeddedSetup {
  readonly simulator: Simulator;
  readonly gateway: Gateway;
  readonly webToken: string;
  readonly channelId: string;
  /**
   * Stops the gateway only (the simulator and the data directory stay), runs `whileDown` if given (the
   * simulator keeps going meanwhile), then starts it again on the same port and store.
   */
  restartGateway(whileDown?: () => Promise<void>): Promise<Gateway>;
}

/**
 * What `npm start` runs, for tests: the simulator, the 8x8 webhook and channel, and a gateway on PGlite with
 * the demo flow on a web chat endpoint. Everything closes when the test ends.
 */
export async function startEmbedded(
  options: {
    store?: string;
    /** The `bus:` setting (default `memory`). */
    bus?: string;
    /** The gateway's logger (default: silent). */
    logger?: Logger;
    flow?: string;
    simulator?: SimulatorOptions;
    reorderWindowMs?: number;
    /** The web chat's grace before the agent hears "the user left" (the gateway's default is 5 s). */
    disconnectGraceMs?: number;
    /** The web endpoint's copilot flow (none by default). */
    copilotFlow?: string;
    /** The config's `copilot:` section. */
    copilot?: Record<string, unknown>;
    /** More endpoints next to `web`. */
    endpoints?: Record<string, unknown>;
    /** Copilot gateway options (AI, knowledge, refusals per minute). */
    gatewayCopilot?: GatewayOptions["copilot"];
    /** More of the config's `server:` section (trustProxy, limits). */
    server?: Record<string, unknown>;
    /** The config's `webchat:` section. */
    webchat?: Record<string, unknown>;
  } = {},
): Promise<EmbeddedSetup> {
  const simulator = await createSimulator({ retry: { baseDelayMs: 20 }, ...options.simulator });
  const { port, setup } = await prepareSimulator(simulator);
  const channelId = setup.channel!.id;
  const config = validateConfig({
    server: { port, host: "127.0.0.1", ...options.server },
    ...(options.webchat === undefined ? {} : { webchat: options.webchat }),
    store: options.store ?? "pglite://memory",
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    providers: {
      eight: {
        type: "8x8",
        baseUrl: simulator.url,
        apiKey: simulator.apiKey,
        channelId,
        webhook: { reorderWindowMs: options.reorderWindowMs ?? 250 },
        http: { timeoutMs: 2_000, maxAttempts: 1 },
      },
    },
    endpoints: {
      web: {
        channel: "webchat",
        flow: options.flow ?? demoFlow,
        handover: { provider: "eight" },
        ...(options.copilotFlow === undefined ? {} : { copilot: { flow: options.copilotFlow } }),
      },
      ...options.endpoints,
    },
    ...(options.copilot === undefined ? {} : { copilot: options.copilot }),
  });
  if (!config.ok) throw new Error(JSON.stringify(config.issues));
  const start = () =>
    createGateway(config, {
      port,
      host: "127.0.0.1",
      logger: options.logger ?? createSilentLogger(),
      ...(options.disconnectGraceMs !== undefined
        ? { webchat: { disconnectGraceMs: options.disconnectGraceMs } }
        : {}),
      ...(options.gatewayCopilot === undefined ? {} : { copilot: options.gatewayCopilot }),
    });
  let gateway = await start();
  onTestFinished(async () => {
    await gateway.close();
    await simulator.close();
  });
  const webToken = gateway.endpoints.get("web")!.urlToken;
  return {
    simulator,
    get gateway() {
      return gateway;
    },
    webToken,
    channelId,
    async restartGateway(whileDown) {
      await gateway.close();
      await whileDown?.();
      gateway = await start();
      return gateway;
    },
  };
}
