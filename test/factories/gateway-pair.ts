import { onTestFinished } from "vitest";
import { validateConfig } from "../../src/config/index.ts";
import { createGateway, type Gateway } from "../../src/index.ts";
import { createSilentLogger, type Logger } from "../../src/telemetry/logger.ts";
import { createSimulator, type Simulator } from "../../simulator/src/index.ts";
import { demoFlow, freePort, prepareSimulator } from "./embedded-gateway.ts";

export interface GatewayPair {
  readonly simulator: Simulator;
  /** Where the simulator posts 8x8's webhook events. */
  readonly a: Gateway;
  readonly b: Gateway;
  /** The web chat endpoint's URL token: kept in the shared store, so both instances serve the same one. */
  readonly webToken: string;
}

/**
 * Two gateways in this process on one store and one bus (PostgreSQL and Redis: several instances behind a
 * load balancer, which the test plays by choosing the instance of each socket), with the 8x8 simulator whose
 * webhook points at A. Both run the demo flow on a `web` endpoint handing over to the simulator's queue.
 * Everything closes when the test ends.
 */
export async function startGatewayPair(options: {
  /** `store:`, shared: a PostgreSQL URL (a fresh `?schema=` per test). */
  readonly store: string;
  /** `bus:`, shared: a Redis URL. */
  readonly bus: string;
  /** The web chat's grace before the agent hears "the user left". */
  readonly disconnectGraceMs?: number;
  /** The web endpoint's copilot flow (none by default). */
  readonly copilotFlow?: string;
  /** Each instance's logger (default: silent). */
  readonly loggers?: { readonly a?: Logger; readonly b?: Logger };
}): Promise<GatewayPair> {
  const simulator = await createSimulator({ retry: { baseDelayMs: 20 } });
  const running: Gateway[] = [];
  // One hook, so the order is certain: the gateways (B, then A), then the simulator they talk to.
  onTestFinished(async () => {
    for (const gateway of running.reverse()) await gateway.close();
    await simulator.close();
  });
  const { port: portA, setup } = await prepareSimulator(simulator);
  const portB = await freePort();
  const config = validateConfig({
    server: { host: "127.0.0.1" },
    store: options.store,
    bus: options.bus,
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
      web: {
        channel: "webchat",
        flow: demoFlow,
        handover: { provider: "eight" },
        ...(options.copilotFlow === undefined ? {} : { copilot: { flow: options.copilotFlow } }),
      },
    },
  });
  if (!config.ok) throw new Error(JSON.stringify(config.issues));
  const start = (port: number, logger: Logger | undefined) =>
    createGateway(config, {
      port,
      host: "127.0.0.1",
      logger: logger ?? createSilentLogger(),
      ...(options.disconnectGraceMs === undefined
        ? {}
        : { webchat: { disconnectGraceMs: options.disconnectGraceMs } }),
    });
  // One after the other: the first migrates the fresh schema and stores the URL token, the second finds both.
  const a = await start(portA, options.loggers?.a);
  running.push(a);
  const b = await start(portB, options.loggers?.b);
  running.push(b);
  const webToken = a.endpoints.get("web")!.urlToken;
  if (b.endpoints.get("web")!.urlToken !== webToken)
    throw new Error("the instances serve different URL tokens");
  return { simulator, a, b, webToken };
}
