import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { validateConfig } from "../../config/index.ts";
import { BatonError } from "../../errors/index.ts";
import { createGateway, type Gateway } from "../../index.ts";
import { createChatGatewayClient } from "../../providers/8x8/client.ts";
import { ensureEightByEightSetup } from "../../providers/8x8/setup.ts";
import { createLogger, type Logger } from "../../telemetry/logger.ts";
import { parseCommandArgs, parsePort } from "../args.ts";
import { exitCode, untilSignal, type CliIo } from "../io.ts";
import { installProcessGuard } from "../process-guard.ts";

/** The simulator's state file, beside PGlite's files in the data directory (PostgreSQL ignores it there). */
const simulatorStateFileName = "simulator-state.json";

export const startHelp = `Usage: baton start [--port <port>] [--sim-port <port>] [--data <dir>] [--fresh]

The embedded default, for trying Baton with no 8x8 account: starts the local 8x8 simulator, the gateway
on PGlite, points the gateway's "eight" provider at the simulator and creates the webhook and the
Chat API channel there (as \`baton 8x8 setup\` would against a real tenant). Prints the URLs.
Both keep their state in the data directory, so a restart shows the same conversations in the agent
console and open handovers carry on.

  --port, -p     gateway port (default: $PORT or 3000)
  --sim-port     simulator port (default: $BATON_SIM_PORT or 3001)
  --data         data directory: PGlite and the simulator's ${simulatorStateFileName} (default: .baton/data)
  --fresh        start the simulator empty, discarding its saved state (the gateway's data is kept)`;

const demoQueueId = "311";

export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    port: { type: "string", short: "p" },
    "sim-port": { type: "string" },
    data: { type: "string", default: ".baton/data" },
    fresh: { type: "boolean", default: false },
  });
  if (values.help) {
    io.out(startHelp);
    return exitCode.ok;
  }
  const port = parsePort(values.port ?? process.env.PORT, "--port", 3000);
  const simPort = parsePort(values["sim-port"] ?? process.env.BATON_SIM_PORT, "--sim-port", 3001);

  // Installed before anything starts; the embedded config keeps the default log level, as this logger does.
  const logger = createLogger();
  const uninstallGuard = installProcessGuard(logger, { command: "start" });
  try {
    return await runEmbedded({ port, simPort, dataDir: values.data, fresh: values.fresh, logger }, io);
  } finally {
    uninstallGuard();
  }
}

async function runEmbedded(
  options: { port: number; simPort: number; dataDir: string; fresh: boolean; logger: Logger },
  io: CliIo,
): Promise<number> {
  const { port, logger } = options;
  const simulator = await startSimulator(options);
  let gateway: Gateway | undefined;
  try {
    // The channel must exist before the gateway starts (handover nodes default to it), so the webhook is
    // created first; 8x8's hello to a gateway not yet listening is then repeated through `verify` below.
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const setup = await withSimulatorClient(simulator.url, simulator.apiKey, (client) =>
      ensureEightByEightSetup(client, { providerId: "eight", publicUrl: gatewayUrl, queueId: demoQueueId }),
    );
    gateway = await createGateway(
      embeddedConfig({ simulator, port, dataDir: options.dataDir, channelId: setup.channel?.id }),
      { port, logger },
    );
    await withSimulatorClient(simulator.url, simulator.apiKey, (client) =>
      client.webhooks.verify({ uri: setup.webhookUri }),
    );
    const web = [...gateway.endpoints.values()].find((e) => e.channel === "webchat");
    io.out("");
    io.out("Baton is running (embedded default: PGlite + in-process bus + 8x8 simulator).");
    io.out(`  Web chat (you):      ${gateway.url}/`);
    io.out(`  Agent console:       ${simulator.url}/console`);
    io.out(`  Gateway:             ${gateway.url}   (health: /healthz, metrics: /metrics)`);
    io.out(`  8x8 simulator:       ${simulator.url}   (API key ${simulator.apiKey})`);
    io.out(`  8x8 webhook:         ${setup.webhook.id} -> ${setup.webhookUri}`);
    io.out(`  Chat API channel:    ${setup.channel?.id ?? "-"} (queue ${demoQueueId})`);
    if (web !== undefined) io.out(`  REST endpoint:       POST ${gateway.url}/endpoints/${web.urlToken}`);
    io.out(`  Data:                ${options.dataDir}`);
    io.out(
      `  Simulator state:     ${simulator.stateFile ?? "-"} (${
        simulator.restored ? `restored ${simulator.conversations().length} conversation(s)` : "new"
      })`,
    );
    io.out(
      'Chat in the web chat, say "talk to a human", and answer as the agent in the console. Ctrl+C stops.',
    );
    await untilSignal();
    return exitCode.ok;
  } finally {
    await gateway?.close();
    await simulator.close();
  }
}

/**
 * The simulator keeps its state in the data directory, so stopping and starting again keeps the agent
 * console's conversations and the 8x8 side of the gateway's open handovers. A state file it cannot use is
 * a clear error naming the file and the way out, not a stack trace.
 */
async function startSimulator(options: { simPort: number; dataDir: string; fresh: boolean; logger: Logger }) {
  const { createSimulator, StateFileError } = await import("../../../simulator/src/index.ts");
  const stateFile = join(options.dataDir, simulatorStateFileName);
  try {
    return await createSimulator({
      port: options.simPort,
      host: "127.0.0.1",
      stateFile,
      fresh: options.fresh,
      logger: options.logger.child({ component: "simulator" }),
    });
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    const advice = error.discardable
      ? "Run `baton start --fresh` to discard it, or delete the file."
      : "Make the data directory writable, or pass another --data.";
    throw new BatonError(
      "BATON_ERR_SIMULATOR_STATE_INVALID",
      { field: error.file, expected: "a state file the simulator wrote, in a writable directory" },
      { message: `The simulator state file ${error.file} ${error.reason}. ${advice}` },
    );
  }
}

/** The demo flow ships with Baton; found relative to this file so `npx baton start` works from anywhere. */
const demoFlow = fileURLToPath(new URL("../../../flows/demo.yaml", import.meta.url));
const demoCopilotFlow = fileURLToPath(new URL("../../../flows/copilot.yaml", import.meta.url));
const demoKnowledge = fileURLToPath(new URL("../../../knowledge", import.meta.url));

function embeddedConfig(options: {
  simulator: { url: string; apiKey: string };
  port: number;
  dataDir: string;
  channelId: string | undefined;
}) {
  const result = validateConfig({
    server: { port: options.port, host: "127.0.0.1", publicUrl: `http://localhost:${options.port}` },
    store: `pglite://${options.dataDir}`,
    bus: "memory",
    providers: {
      eight: {
        type: "8x8",
        baseUrl: options.simulator.url,
        apiKey: options.simulator.apiKey,
        ...(options.channelId !== undefined ? { channelId: options.channelId } : {}),
      },
    },
    endpoints: {
      web: {
        channel: "webchat",
        flow: demoFlow,
        handover: { provider: "eight" },
        copilot: { flow: demoCopilotFlow },
      },
    },
    copilot: { knowledge: { folder: demoKnowledge } },
  });
  if (!result.ok) throw new BatonError("BATON_ERR_CONFIG_INVALID", { issues: result.issues });
  return result;
}

/** A short-lived client for the simulator's own 8x8 API (setup and verify). */
async function withSimulatorClient<T>(
  url: string,
  apiKey: string,
  fn: (client: ReturnType<typeof createChatGatewayClient>) => Promise<T>,
): Promise<T> {
  const client = createChatGatewayClient({ baseUrl: url, apiKey, providerId: "eight" });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
