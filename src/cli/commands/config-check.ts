import { formatConfigIssue, readConfigFile } from "../../config/index.ts";
import { parseCommandArgs, requireFlag } from "../args.ts";
import { exitCode, type CliIo } from "../io.ts";

export const configCheckHelp = `Usage: baton config check <file>

Validates a Baton config file: YAML syntax, \${VAR} / \${VAR:-default} expansion, every key and value.
Prints every problem with its path and what was expected, and exits 1 if there is any.
Secrets are never printed.`;

export async function configCheckCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {});
  if (values.help) {
    io.out(configCheckHelp);
    return exitCode.ok;
  }
  const file = requireFlag(positionals[0], "<file>", "the path of a YAML config file");
  const result = await readConfigFile(file);
  if (result.ok) {
    const providers = Object.keys(result.config.providers);
    const endpoints = Object.keys(result.config.endpoints);
    io.out(`${file}: valid (${providers.length} provider(s), ${endpoints.length} endpoint(s))`);
    return exitCode.ok;
  }
  io.err(`${file}: ${result.issues.length} problem(s)`);
  for (const issue of result.issues) io.err(`  ${formatConfigIssue(issue)}`);
  return exitCode.failed;
}
