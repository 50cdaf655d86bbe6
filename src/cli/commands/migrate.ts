import { existsSync } from "node:fs";
import { configSchema, loadConfigFile } from "../../config/index.ts";
import { createStore } from "../../store/index.ts";
import { parseCommandArgs } from "../args.ts";
import { exitCode, type CliIo } from "../io.ts";

export const migrateHelp = `Usage: baton migrate [--config <file> | --store <url>]

Applies pending database migrations and prints their names. Safe to run while other instances run
(migrations take a lock). The gateway also migrates at start.

  --config, -c   take the store URL from this config file (default: baton.yaml when it exists, else the
                 embedded default pglite://.baton/data)
  --store        a store URL: pglite://<dir> or postgres://user:pass@host:5432/db`;

export async function migrateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: "string", short: "c" },
    store: { type: "string" },
  });
  if (values.help) {
    io.out(migrateHelp);
    return exitCode.ok;
  }
  const { url, baseDir } = await resolveStoreUrl(values.store, values.config);
  const store = await createStore(url, { baseDir });
  try {
    const { applied } = await store.migrate();
    io.out(applied.length === 0 ? "store is up to date" : `applied: ${applied.join(", ")}`);
    return exitCode.ok;
  } finally {
    await store.close();
  }
}

async function resolveStoreUrl(store: string | undefined, config: string | undefined) {
  if (store !== undefined) return { url: store, baseDir: process.cwd() };
  if (config === undefined && !existsSync("baton.yaml")) {
    return { url: configSchema.parse({}).store, baseDir: process.cwd() };
  }
  const loaded = await loadConfigFile(config ?? "baton.yaml");
  return { url: loaded.config.store, baseDir: loaded.baseDir };
}
