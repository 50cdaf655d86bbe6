import { execFile } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { installProcessGuard, type GuardedProcess } from "../../../src/cli/process-guard.ts";

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

describe("installProcessGuard", () => {
  it("logs an unhandled rejection with its error and command, and a monitored uncaught exception", () => {
    const { logger, lines } = capturingLogger();
    const target = new EventEmitter();
    installProcessGuard(logger, { command: "serve" }, target as unknown as GuardedProcess);

    target.emit("unhandledRejection", new Error("bus down"), Promise.resolve());
    target.emit("uncaughtExceptionMonitor", new Error("boom"), "uncaughtException");

    expect(lines).toMatchObject([
      {
        level: 50,
        command: "serve",
        event: "unhandledRejection",
        err: { type: "Error", message: "bus down" },
        msg: "unhandled promise rejection; the process keeps running",
      },
      {
        level: 60,
        command: "serve",
        event: "uncaughtException",
        origin: "uncaughtException",
        err: { message: "boom" },
      },
    ]);
    expect(String((lines[0]?.err as { stack?: string }).stack)).toContain("bus down");
  });

  it("logs a rejection reason that is not an Error as it is", () => {
    const { logger, lines } = capturingLogger();
    const target = new EventEmitter();
    installProcessGuard(logger, { command: "start" }, target as unknown as GuardedProcess);
    target.emit("unhandledRejection", "plain reason", Promise.resolve());
    expect(lines).toMatchObject([{ command: "start", err: "plain reason" }]);
  });

  it("removes its listeners when uninstalled", () => {
    const { logger } = capturingLogger();
    const target = new EventEmitter();
    const uninstall = installProcessGuard(logger, { command: "serve" }, target as unknown as GuardedProcess);
    expect(target.listenerCount("unhandledRejection")).toBe(1);
    expect(target.listenerCount("uncaughtExceptionMonitor")).toBe(1);
    uninstall();
    expect(target.listenerCount("unhandledRejection")).toBe(0);
    expect(target.listenerCount("uncaughtExceptionMonitor")).toBe(0);
  });

  it("keeps a real process running after an unhandled rejection, which Node would otherwise exit on", async () => {
    const guard = fileURLToPath(new URL("../../../src/cli/process-guard.ts", import.meta.url));
    const script = `
      const { installProcessGuard } = await import(${JSON.stringify(guard)});
      const { pino } = await import("pino");
      installProcessGuard(pino({ base: null, timestamp: false }), { command: "serve" });
      void Promise.reject(new Error("nobody handles me"));
      setTimeout(() => process.stdout.write("still running\\n"), 50);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "--eval", script],
      { timeout: 15_000 },
    );
    const [logLine, alive] = stdout.trim().split("\n");
    expect(JSON.parse(logLine ?? "{}")).toMatchObject({
      level: 50,
      command: "serve",
      err: { message: "nobody handles me" },
    });
    expect(alive).toBe("still running");
  });
});
