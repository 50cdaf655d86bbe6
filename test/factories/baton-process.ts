import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

const batonBin = fileURLToPath(new URL("../../bin/baton.js", import.meta.url));

export interface BatonProcess {
  /** Every stdout and stderr line so far. */
  readonly lines: readonly string[];
  /** Resolves with the first line (already seen or future) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/**
 * Runs `node bin/baton.js <args>` as a real child process, the way a person runs `npx baton`. The process is
 * killed when the test ends, whatever happened.
 */
export function runBaton(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): BatonProcess {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [batonBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line === "") continue;
      lines.push(line);
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  return {
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 20_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no line matching ${String(pattern)} within ${timeoutMs} ms; output:\n${lines.join("\n")}`,
            ),
          );
        }, timeoutMs);
        // `exited` only ever resolves and this callback only settles the waiter: nothing here can reject.
        exited
          .then(() => {
            if (!waiters.has(waiter)) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(
              new Error(
                `process exited before a line matched ${String(pattern)}; output:\n${lines.join("\n")}`,
              ),
            );
          })
          .catch(() => {});
        const originalResolve = waiter.resolve;
        waiter.resolve = (line) => {
          clearTimeout(timer);
          originalResolve(line);
        };
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
