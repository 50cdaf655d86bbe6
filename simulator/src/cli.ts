import type { Logger } from "pino";
import { createSimulator, type SimulatorOptions } from "./index.ts";
import { expectedRetryValue, isValidRetryValue, type WebhookRetry } from "./webhook-retry.ts";

/** Where the command writes and what stops it; injectable so tests need no real signals. */
export type SimulatorCommandIo = {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the simulator should stop. Default: the first SIGINT or SIGTERM. */
  waitForStop(): Promise<void>;
  /** Where the simulator logs (a failed state save, for one). Default: silent. */
  logger?: Logger;
};

const USAGE = `Usage: baton simulator [options]

Starts a local 8x8 Chat Gateway v1 simulator with an agent console.

Options:
  --port <n>                  port to listen on (default 3001; 0 picks a free port)
  --host <h>                  interface to bind (default 127.0.0.1)
  --api-key <key>             x-api-key to accept (default: the one in --state, else generated and printed)
  --tenant <id>               tenant id; requests naming another X-8x8-Tenant get 403
  --state <file>              keep conversations, webhooks, channels, keys and undelivered events in this
                              JSON file across restarts (default: nothing is kept)
  --fresh                     with --state: discard what the file holds and start empty
  --webhook-attempts <n>      attempts per webhook event before it is given up (1-100, default 8)
  --webhook-base-delay-ms <ms>
                              wait before the first retry, doubling after each (0-60000, default 250)
  -h, --help                  show this help`;

type ParsedArgs = { help: true } | { help: false; options: SimulatorOptions };

class UsageError extends Error {}

/**
 * `npx baton simulator --port 3001 --api-key <key> [--tenant <id>] [--host <h>] [--state <file> [--fresh]]
 * [--webhook-attempts <n>] [--webhook-base-delay-ms <ms>]`. Runs until SIGINT or SIGTERM, then closes
 * cleanly (saving the state file last). Exit codes: 0 clean stop or help, 1 could not start (an unusable
 * state file, a port in use), 2 bad flags.
 */
export async function runSimulatorCommand(
  argv: string[],
  io: SimulatorCommandIo = processIo(),
): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`baton simulator: ${error.message}`);
    io.err("Run `baton simulator --help` for the options.");
    return 2;
  }
  if (parsed.help) {
    io.out(USAGE);
    return 0;
  }

  let simulator;
  try {
    simulator = await createSimulator({
      ...parsed.options,
      ...(io.logger === undefined ? {} : { logger: io.logger }),
    });
  } catch (error) {
    io.err(`baton simulator: could not start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const keySource = simulator.restored ? " (from the state file)" : " (generated)";
  io.out(`8x8 Chat Gateway simulator listening on ${simulator.url}`);
  io.out(`  API key${parsed.options.apiKey === undefined ? keySource : ""}: ${simulator.apiKey}`);
  io.out(`  Tenant:        ${simulator.tenant}`);
  io.out(`  Agent console: ${simulator.url}/console`);
  if (simulator.stateFile !== undefined) {
    const kept = simulator.restored
      ? `restored ${simulator.conversations().length} conversation(s)`
      : "new, nothing restored";
    io.out(`  State file:    ${simulator.stateFile} (${kept})`);
  }
  io.out(
    `  Point Baton at it: providers.<id>.baseUrl: ${simulator.url} and apiKey: ${simulator.apiKey} ` +
      `(e.g. EIGHT_X_EIGHT_API_KEY=${simulator.apiKey})`,
  );
  await io.waitForStop();
  io.out("Stopping the simulator…");
  await simulator.close();
  return 0;
}

function parseArgs(argv: string[]): ParsedArgs {
  const options: SimulatorOptions = { port: 3001 };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? "";
    if (arg === "-h" || arg === "--help") return { help: true };
    const [flag = "", inline] =
      arg.startsWith("--") && arg.includes("=") ? splitOnce(arg, "=") : [arg, undefined];
    const value = () => {
      const next = inline ?? argv[++index];
      if (next === undefined || (inline === undefined && next.startsWith("--"))) {
        throw new UsageError(`${flag} needs a value`);
      }
      return next;
    };
    switch (flag) {
      case "--port":
        options.port = parsePort(value());
        break;
      case "--host":
        options.host = nonEmpty(flag, value());
        break;
      case "--api-key":
        options.apiKey = nonEmpty(flag, value());
        break;
      case "--tenant":
        options.tenant = nonEmpty(flag, value());
        break;
      case "--state":
        options.stateFile = nonEmpty(flag, value());
        break;
      case "--fresh":
        if (inline !== undefined) throw new UsageError("--fresh takes no value");
        options.fresh = true;
        break;
      case "--webhook-attempts":
        options.retry = { ...options.retry, maxAttempts: parseRetryFlag(flag, "maxAttempts", value()) };
        break;
      case "--webhook-base-delay-ms":
        options.retry = { ...options.retry, baseDelayMs: parseRetryFlag(flag, "baseDelayMs", value()) };
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (options.fresh === true && options.stateFile === undefined) {
    throw new UsageError("--fresh needs --state <file>: without a state file nothing is kept anyway");
  }
  return { help: false, options };
}

function parseRetryFlag(flag: string, key: keyof WebhookRetry, text: string): number {
  const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!isValidRetryValue(key, number)) {
    throw new UsageError(`${flag} must be ${expectedRetryValue(key)}, got "${text}"`);
  }
  return number;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535)
    throw new UsageError(`--port must be an integer 0-65535, got "${text}"`);
  return port;
}

function nonEmpty(flag: string, text: string): string {
  if (text.trim() === "") throw new UsageError(`${flag} must not be empty`);
  return text;
}

function processIo(): SimulatorCommandIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    waitForStop: () =>
      new Promise((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      }),
  };
}
