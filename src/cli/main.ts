import { formatConfigIssue, type ConfigIssue } from "../config/index.ts";
import { isBatonError } from "../errors/index.ts";
import { configCheckCommand } from "./commands/config-check.ts";
import { eightByEightSetupCommand } from "./commands/eight-by-eight-setup.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { serveCommand } from "./commands/serve.ts";
import { simulatorCommand } from "./commands/simulator.ts";
import { startCommand } from "./commands/start.ts";
import { exitCode, processIo, type CliIo } from "./io.ts";

export const mainHelp = `Usage: baton <command> [options]

Commands:
  start                      embedded default: gateway + PGlite + 8x8 simulator, set up and linked
  serve --config <file>      start the gateway from a config file
  simulator [--port 3001]    start the local 8x8 Chat Gateway simulator (agent console at /console)
  config check <file>        validate a config file and list every problem
  8x8 setup --provider <id>  create the 8x8 webhook (and Chat API channel) for a provider, idempotently
  migrate                    apply database migrations

Every command has --help.`;

type Command = (argv: string[], io: CliIo) => Promise<number>;

const commands: Record<string, Command> = {
  start: startCommand,
  serve: serveCommand,
  simulator: simulatorCommand,
  migrate: migrateCommand,
  "config check": configCheckCommand,
  "8x8 setup": eightByEightSetupCommand,
};

/** Runs one CLI invocation and returns the process exit code; never calls process.exit itself. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [first, second, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.out(mainHelp);
    return first === undefined ? exitCode.usage : exitCode.ok;
  }
  const twoWord = second === undefined ? undefined : commands[`${first} ${second}`];
  const command = twoWord ?? commands[first];
  if (command === undefined) {
    io.err(`baton: unknown command "${[first, second].filter(Boolean).join(" ")}"\n\n${mainHelp}`);
    return exitCode.usage;
  }
  const args = twoWord === undefined ? argv.slice(1) : rest;
  try {
    return await command(args, io);
  } catch (error) {
    return reportFailure(error, io);
  }
}

function reportFailure(error: unknown, io: CliIo): number {
  if (!isBatonError(error)) {
    io.err(
      `baton: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return exitCode.failed;
  }
  io.err(`baton: ${error.code}: ${error.message}`);
  const { issues, field, expected } = error.details as {
    issues?: ConfigIssue[];
    field?: string;
    expected?: string;
  };
  for (const issue of issues ?? []) io.err(`  ${formatConfigIssue(issue)}`);
  if (field !== undefined || expected !== undefined) {
    io.err(
      `  ${field ?? ""}${field !== undefined && expected !== undefined ? ": " : ""}${expected !== undefined ? `expected ${expected}` : ""}`,
    );
  }
  return error.code === "BATON_ERR_CLI_USAGE" ? exitCode.usage : exitCode.failed;
}
