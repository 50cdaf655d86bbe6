import { existsSync } from "node:fs";
import { loadConfigFile, type EightByEightProviderConfig } from "../../config/index.ts";
import { BatonError } from "../../errors/index.ts";
import { createClientFromConfig, ensureEightByEightSetup } from "../../providers/8x8/index.ts";
import { parseCommandArgs, requireFlag } from "../args.ts";
import { exitCode, type CliIo } from "../io.ts";

export const eightByEightSetupHelp = `Usage: baton 8x8 setup --provider <id> [--public-url <url>] [--queue <queueId>] [--config <file>]

Creates, through the 8x8 Chat Gateway API, the webhook that sends a provider's events to
{publicUrl}/handover/eightByEight/{providerId} and, with --queue, a Chat API channel routing to that
queue. Idempotent: what already exists is reused. Prints the ids to paste into handover nodes.
The gateway must already answer at the public URL (8x8 sends WEB_HOOK_VERIFY on create).

  --provider     the provider id from the config's providers: section (required)
  --public-url   the gateway's URL as 8x8 reaches it (default: server.publicUrl of the config)
  --queue        an 8x8 chat queue id; also ensures a Chat API channel routing to it
  --config, -c   the YAML config file (default: baton.yaml)

See docs/8x8-setup.md for where each value comes from in 8x8's Configuration Manager.`;

export async function eightByEightSetupCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    provider: { type: "string" },
    "public-url": { type: "string" },
    queue: { type: "string" },
    config: { type: "string", short: "c" },
  });
  if (values.help) {
    io.out(eightByEightSetupHelp);
    return exitCode.ok;
  }
  const providerId = requireFlag(values.provider, "--provider", "the id of an 8x8 provider in the config");
  const configFile = values.config ?? "baton.yaml";
  if (values.config === undefined && !existsSync(configFile)) {
    throw new BatonError(
      "BATON_ERR_CLI_USAGE",
      { field: "--config", expected: "a config file naming the provider" },
      { message: "No baton.yaml here: pass --config <file>." },
    );
  }
  const { config } = await loadConfigFile(configFile);
  const provider = config.providers[providerId];
  if (provider?.type !== "8x8") {
    throw new BatonError("BATON_ERR_PROVIDER_UNKNOWN", {
      field: "--provider",
      expected: `one of: ${Object.keys(config.providers).join(", ") || "(no providers configured)"}`,
    });
  }
  const publicUrl = requireFlag(
    values["public-url"] ?? config.server.publicUrl,
    "--public-url",
    "the gateway's public URL",
  );
  const result = await runSetup(providerId, provider, publicUrl, values.queue);
  io.out(
    `webhook  ${result.webhook.id}  ${result.webhook.created ? "created" : "already existed"}  -> ${result.webhookUri}`,
  );
  if (result.channel !== undefined) {
    io.out(
      `channel  ${result.channel.id}  ${result.channel.created ? "created" : "already existed"}  (queue ${result.channel.queueId})`,
    );
    io.out("");
    io.out("In a handoverToAgent node:");
    io.out(`  provider: ${providerId}`);
    io.out(`  channelId: "${result.channel.id}"`);
    io.out(`  queueId: "${result.channel.queueId}"`);
  }
  return exitCode.ok;
}

async function runSetup(
  providerId: string,
  provider: EightByEightProviderConfig,
  publicUrl: string,
  queueId: string | undefined,
) {
  const client = createClientFromConfig(providerId, provider);
  try {
    return await ensureEightByEightSetup(client, {
      providerId,
      publicUrl,
      ...(queueId !== undefined ? { queueId } : {}),
    });
  } finally {
    await client.close();
  }
}
