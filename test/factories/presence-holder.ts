import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

const child = fileURLToPath(new URL("./presence-holder-child.ts", import.meta.url));

export interface PresenceHolder {
  /** SIGKILL, as a crash would: its presence entry is left behind to expire. Resolves once it exited. */
  kill(): Promise<void>;
}

/**
 * Another gateway instance, as far as presence goes: a separate process with its own Redis bus that counts
 * one connection of `key` (and keeps refreshing it) until it is killed. Killed when the test ends.
 */
export async function startPresenceHolder(options: {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly key: string;
  readonly presenceTtlMs: number;
}): Promise<PresenceHolder> {
  const args = [options.redisUrl, options.prefix, options.key, String(options.presenceTtlMs)];
  const holder = spawn(process.execPath, ["--import", "tsx", child, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => holder.once("exit", () => resolve()));
  onTestFinished(async () => {
    if (holder.exitCode === null && holder.signalCode === null) holder.kill("SIGKILL");
    await exited;
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("joined")) resolve();
    });
    holder.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    holder.once("exit", (code) => reject(new Error(`presence holder exited (${code}):\n${output}`)));
  });
  return {
    async kill() {
      holder.kill("SIGKILL");
      await exited;
    },
  };
}
