import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { runBaton, type BatonProcess } from "../factories/baton-process.ts";

/** The fault suite's flow: the greeting of a new session is the handover, so every user reaches an agent. */
export const handOverAtOnceFlow = fileURLToPath(new URL("./hand-over-at-once.yaml", import.meta.url));

export interface GatewayConfigInput {
  readonly port: number;
  readonly store: string;
  readonly simulatorUrl: string;
  readonly channelId: string;
  readonly urlToken: string;
  readonly logLevel: string;
}

/**
 * The `baton serve` config of the suite: one 8x8 provider at the simulator, one web chat endpoint. The
 * abuse limits are raised because every simulated user shares 127.0.0.1 and reconnects after each crash;
 * everything else keeps its default, so the suite measures what an operator gets. The API key comes from
 * the environment, as an operator would write it.
 */
export function gatewayConfigYaml(input: GatewayConfigInput): string {
  return [
    "server:",
    `  port: ${input.port}`,
    "  host: 127.0.0.1",
    "  limits: { sessionsPerMinute: 1000000, webchatFramesPerMinute: 1000000, tokenRoutesPerMinute: 1000000 }",
    `store: ${input.store}`,
    `log: { level: ${input.logLevel} }`,
    "providers:",
    "  eight:",
    "    type: 8x8",
    `    baseUrl: ${input.simulatorUrl}`,
    "    apiKey: ${EIGHT_X_EIGHT_API_KEY}",
    `    channelId: ${input.channelId}`,
    "endpoints:",
    "  web:",
    "    channel: webchat",
    `    flow: ${JSON.stringify(handOverAtOnceFlow)}`,
    `    urlToken: ${input.urlToken}`,
    "    handover: { provider: eight }",
    "",
  ].join("\n");
}

export interface GatewayRun {
  /** 1 for the first process, 2 after the first restart, … */
  readonly generation: number;
  readonly process: BatonProcess;
  /** Epoch ms when `/readyz` first answered 200. */
  readonly readyAt: number;
}

/**
 * `node bin/baton.js serve --config <file>` as a real child process, resolved once `/readyz` answers 200
 * (store and bus reachable, routes mounted). Fails with the process's output if it exits first or is not
 * ready within `timeoutMs`.
 */
export async function startGatewayProcess(options: {
  readonly configFile: string;
  readonly port: number;
  readonly apiKey: string;
  readonly generation: number;
  readonly timeoutMs?: number;
}): Promise<GatewayRun> {
  const child = runBaton(["serve", "--config", options.configFile], {
    env: { EIGHT_X_EIGHT_API_KEY: options.apiKey },
  });
  let exited = false;
  // `exited` only ever resolves (baton-process.ts): there is nothing to catch.
  child.exited.then(() => (exited = true)).catch(() => undefined);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`baton serve exited before it was ready:\n${child.lines.join("\n")}`);
    if (await isReady(options.port))
      return { generation: options.generation, process: child, readyAt: Date.now() };
    if (Date.now() > deadline) {
      await child.stop("SIGKILL");
      throw new Error(`baton serve was not ready within the deadline:\n${child.lines.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function isReady(port: number): Promise<boolean> {
  try {
    const response = await request(`http://127.0.0.1:${port}/readyz`, { headersTimeout: 2_000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

export async function writeGatewayConfig(file: string, input: GatewayConfigInput): Promise<void> {
  await writeFile(file, gatewayConfigYaml(input));
}

/**
 * Sends `signal` and waits for the exit; a graceful stop that takes longer than `timeoutMs` is ended with
 * SIGKILL, so a shutdown that hangs cannot hang the suite (the caller reports it). Resolves with whether
 * the process exited by itself in time.
 */
export async function stopWithin(
  run: GatewayRun,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    run.process.stop(signal).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (!inTime) await run.process.stop("SIGKILL");
  return inTime;
}
