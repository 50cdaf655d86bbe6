import { spawn, type ChildProcess } from "node:child_process";
import { onTestFinished } from "vitest";

export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, as a crash or an OOM kill would: no goodbye to connected clients. Resolves once it exited. */
  kill(): Promise<void>;
}

/**
 * A private, throwaway redis-server (no persistence) on 127.0.0.1:`port`, for tests that take Redis down
 * and bring it back; the shared Redis of the services suite is never touched. Killed when the test ends.
 */
export async function startRedisServer(port: number, timeoutMs = 10_000): Promise<RedisServerProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  onTestFinished(async () => {
    await stop(child, exited);
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`redis-server on port ${port} not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => stop(child, exited),
  };
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await exited;
}
