import { validateConfig } from "../../config/index.ts";
import { BatonError } from "../../errors/index.ts";
import { createGateway, type Gateway } from "../../index.ts";
import { createChatGatewayClient } from "../../providers/8x8/client.ts";
import { ensureEightByEightSetup } from "../../providers/8x8/setup.ts";
import { parseCommandArgs, parsePort } from "../args.ts";
import { exitCode, untilSignal, type CliIo } from "../io.ts";

export const startHelp = `Usage: baton start [--port <port>] [--sim-port <port>] [--data <dir>]

The embedded default, for trying Baton with no 8x8 account: starts the local 8x8 simulator, the gateway
on PGlite, points the gateway's "eight" provider at the simulator and creates the webhook and the
Chat API channel there (as \`baton 8x8 setup\` would against a real tenant). Prints the URLs.

  --port, -p     gateway port (default: $PORT or 3000)
  --sim-port     simulator port (default: $BATON_SIM_PORT or 3001)
  --data         PGlite data directory (default: .baton/data)`;

const demoQueueId = "311";

export async function startCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    port: { type: "string", short: "p" },
    "sim-port": { type: "string" },
    data: { type: "string", default: ".baton/data" },
  });
  if (values.help) {
    io.out(startHelp);
    return exitCode.ok;
  }
  const port = parsePort(values.port ?? process.env.PORT, "--port", 3000);
  const simPort = parsePort(values["sim-port"] ?? process.env.BATON_SIM_PORT, "--sim-port", 3001);

  const { createSimulator } = await import("../../../simulator/src/index.ts");
  const simulator = await createSimulator({ port: simPort, host: "127.0.0.1" });
  let gateway: Gateway | undefined;
  try {
    gateway = await createGateway(embeddedConfig(simulator.url, simulator.apiKey, port, values.data), {
      port,
    });
    const setup = await setUpSimulator(gateway, simulator.url, simulator.apiKey);
    io.out("");
    io.out("Baton is running (embedded default: PGlite + in-process bus + 8x8 simulator).");
    io.out(
      `  Gateway:             ${gateway.url}   (health: ${gateway.url}/healthz, metrics: ${gateway.url}/metrics)`,
    );
    io.out(`  8x8 simulator:       ${simulator.url}   (API key ${simulator.apiKey})`);
    io.out(`  Agent console:       ${simulator.url}/console`);
    io.out(`  8x8 webhook:         ${setup.webhook.id} -> ${setup.webhookUri}`);
    io.out(`  Chat API channel:    ${setup.channel?.id ?? "-"} (queue ${demoQueueId})`);
    io.out(`  Data:                ${values.data}`);
    io.out("Press Ctrl+C to stop.");
    await untilSignal();
    return exitCode.ok;
  } finally {
    await gateway?.close();
    await simulator.close();
  }
}

function embeddedConfig(simulatorUrl: string, apiKey: string, port: number, dataDir: string) {
  const result = validateConfig({
    server: { port, host: "127.0.0.1", publicUrl: `http://localhost:${port}` },
    store: `pglite://${dataDir}`,
    bus: "memory",
    providers: { eight: { type: "8x8", baseUrl: simulatorUrl, apiKey } },
  });
  if (!result.ok) throw new BatonError("BATON_ERR_CONFIG_INVALID", { issues: result.issues });
  return result;
}

/** What `baton 8x8 setup --queue 311` does against a real tenant, done here against the simulator. */
async function setUpSimulator(gateway: Gateway, simulatorUrl: string, apiKey: string) {
  const client = createChatGatewayClient({ baseUrl: simulatorUrl, apiKey, providerId: "eight" });
  try {
    return await ensureEightByEightSetup(client, {
      providerId: "eight",
      publicUrl: gateway.url,
      queueId: demoQueueId,
    });
  } finally {
    await client.close();
  }
}
