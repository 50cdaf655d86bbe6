import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import pg from "pg";
import { onTestFinished } from "vitest";
import { createChatGatewayClient } from "../../src/providers/8x8/client.ts";
import { ensureEightByEightSetup } from "../../src/providers/8x8/setup.ts";
import { createSimulator, type Simulator, type SimulatorOptions } from "../../simulator/src/index.ts";
import { runBaton, type BatonProcess } from "./baton-process.ts";
import { demoFlow, freePort } from "./embedded-gateway.ts";
import { waitFor } from "./wait-for.ts";

/** One `baton serve` child process of the cluster, on its own fixed port. */
export interface ClusterInstance {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The running process (a new one after each restart). */
  readonly process: BatonProcess;
  /** SIGKILL, as a crash or an OOM kill would: no drain, no goodbye. Resolves once it exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and config; resolves once it listens. */
  restart(): Promise<void>;
  /** The `/readyz` status code, or undefined when nothing answers. */
  readiness(): Promise<number | undefined>;
  /**
   * Waits until `/readyz` answers `status`; fails at once (with the process's last log lines) when the
   * process exited meanwhile, since then it never will.
   */
  waitForReadiness(status: 200 | 503, timeoutMs?: number): Promise<void>;
}

export interface GatewayCluster {
  readonly simulator: Simulator;
  /** The web chat endpoint's URL token (fixed in the config, so every instance serves the same one). */
  readonly webToken: string;
  readonly channelId: string;
  /** The config file every instance runs. */
  readonly configFile: string;
  /** Where the user's web chat socket goes first. */
  readonly a: ClusterInstance;
  /** Where the simulator posts 8x8's webhook events. */
  readonly b: ClusterInstance;
  /**
   * Resolves once nothing is on its way any more: no outbox item pending in the store and no webhook
   * delivery queued or in flight at the simulator. A tally taken after it cannot grow a late double.
   */
  quiet(timeoutMs?: number): Promise<void>;
}

/**
 * Two gateways as real `baton serve` child processes on one store and one bus, with the 8x8 simulator (in
 * this process) whose webhook points at instance B: the deployment docs/operations.md describes, with the
 * load balancer played by the test (it decides which instance the user's socket reaches). Both instances
 * run the same config file: the demo flow on a web chat endpoint with a fixed URL token, handing over to
 * the simulator's queue 311. Everything stops when the test ends.
 */
export async function startGatewayCluster(options: {
  /** `store:` of the config: a PostgreSQL URL every instance shares. */
  readonly store: string;
  /** `bus:` of the config: a Redis URL every instance shares. */
  readonly bus: string;
  /** The simulator's webhook retry budget must outlast an instance's restart (default: about a minute). */
  readonly simulator?: SimulatorOptions;
}): Promise<GatewayCluster> {
  const simulator = await createSimulator({
    retry: { baseDelayMs: 100, maxAttempts: 20 },
    ...options.simulator,
  });
  onTestFinished(() => simulator.close());
  const [portA, portB] = [await freePort(), await freePort()];
  const client = createChatGatewayClient({ baseUrl: simulator.url, apiKey: simulator.apiKey });
  const setup = await ensureEightByEightSetup(client, {
    providerId: "eight",
    publicUrl: `http://127.0.0.1:${portB}`,
    queueId: "311",
  });
  await client.close();
  const channelId = setup.channel!.id;

  const dir = await mkdtemp(join(tmpdir(), "baton-cluster-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const webToken = randomBytes(32).toString("hex");
  const configFile = join(dir, "baton.yaml");
  await writeFile(
    configFile,
    [
      "server: { host: 127.0.0.1 }",
      `store: ${options.store}`,
      `bus: ${options.bus}`,
      "log: { level: info }",
      "providers:",
      "  eight:",
      "    type: 8x8",
      `    baseUrl: ${simulator.url}`,
      "    apiKey: ${EIGHT_X_EIGHT_API_KEY}",
      `    channelId: "${channelId}"`,
      "    http: { timeoutMs: 3000, maxAttempts: 2 }",
      "endpoints:",
      "  web:",
      "    channel: webchat",
      `    flow: ${demoFlow}`,
      "    handover: { provider: eight }",
      `    urlToken: ${webToken}`,
      "",
    ].join("\n"),
  );
  const env = { EIGHT_X_EIGHT_API_KEY: simulator.apiKey };
  // One after the other: the first one migrates the fresh database, the second finds it up to date.
  const a = await startInstance("A", portA, configFile, env);
  const b = await startInstance("B", portB, configFile, env);
  return {
    simulator,
    webToken,
    channelId,
    configFile,
    a,
    b,
    async quiet(timeoutMs = 30_000) {
      await waitFor(
        async () => (await pendingOutboxItems(options.store)) === 0,
        timeoutMs,
        "an empty outbox",
      );
      await simulator.settled();
    },
  };
}

/** Outbox items not yet sent (or given up), read straight from the shared database. */
async function pendingOutboxItems(store: string): Promise<number> {
  const client = new pg.Client({ connectionString: store });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(
      "select count(*) as n from outbox where status = 'pending'",
    );
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

async function startInstance(
  name: string,
  port: number,
  configFile: string,
  env: NodeJS.ProcessEnv,
): Promise<ClusterInstance> {
  const url = `http://127.0.0.1:${port}`;
  let current: BatonProcess;
  async function launch(): Promise<void> {
    current = runBaton(["serve", "--config", configFile, "--port", String(port)], { env });
    await current.waitForLine(/"msg":"gateway listening"/, 60_000);
  }
  async function readiness(): Promise<number | undefined> {
    try {
      const response = await request(`${url}/readyz`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
      await response.body.dump();
      return response.statusCode;
    } catch {
      return undefined;
    }
  }
  await launch();
  return {
    name,
    port,
    url,
    get process() {
      return current;
    },
    async kill() {
      await current.stop("SIGKILL");
    },
    restart: launch,
    readiness,
    async waitForReadiness(status, timeoutMs = 20_000) {
      let exitCode: number | null | undefined;
      current.exited.then(
        (code) => (exitCode = code),
        () => {}, // `exited` only ever resolves
      );
      await waitFor(
        async () => {
          if (exitCode !== undefined) {
            throw new Error(
              `instance ${name} exited (${exitCode}) while waiting for /readyz ${status}; last lines:\n` +
                current.lines.slice(-20).join("\n"),
            );
          }
          return (await readiness()) === status;
        },
        timeoutMs,
        `instance ${name}'s /readyz to answer ${status}`,
      );
    },
  };
}
