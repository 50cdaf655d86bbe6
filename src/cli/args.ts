import { parseArgs, type ParseArgsConfig } from "node:util";
import { BatonError } from "../errors/index.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command's flags strictly (unknown flags are errors) and adds `--help`.
 * Throws BATON_ERR_CLI_USAGE with the offending flag in `field`.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new BatonError(
      "BATON_ERR_CLI_USAGE",
      { reason: error instanceof Error ? error.message : String(error) },
      { message: error instanceof Error ? error.message : "The command line is not valid." },
    );
  }
}

export function requireFlag(value: string | undefined, flag: string, expected: string): string {
  if (value === undefined || value === "") {
    throw new BatonError(
      "BATON_ERR_CLI_USAGE",
      { field: flag, expected },
      { message: `${flag} is required.` },
    );
  }
  return value;
}

export function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new BatonError(
      "BATON_ERR_CLI_USAGE",
      { field: flag, expected: "a port number from 0 to 65535" },
      { message: `${flag} must be a port number from 0 to 65535.` },
    );
  }
  return port;
}
