import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import { createOutageLog } from "../../../src/telemetry/outage-log.ts";
import { capturedLogger } from "../runtime/runtime-test-kit.ts";

const messages = { failed: "claim failed", restored: "claims work again" };
const levels = { debug: 20, info: 30, error: 50 } as const;

/** The captured lines as `level message`, the way a person skims a log. */
function skim(lines: readonly Record<string, unknown>[]): string[] {
  const names = Object.fromEntries(Object.entries(levels).map(([name, level]) => [level, name]));
  return lines.map((line) => `${names[line.level as number]} ${String(line.msg)}`);
}

describe("outage log", () => {
  it("logs an outage once at error level, its repeats at debug and the recovery once at info", () => {
    const { logger, lines } = capturedLogger();
    let now = 1_000;
    const outage = createOutageLog(logger, messages, () => now);
    const refused = new Error("connect ECONNREFUSED 127.0.0.1:5432");
    outage.succeeded();
    for (let i = 0; i < 5; i++) {
      outage.failed(refused, { attempt: i });
      now += 200;
    }
    expect(outage.failing).toBe(true);
    outage.succeeded();
    outage.succeeded();
    expect(outage.failing).toBe(false);
    expect(skim(lines)).toEqual([
      "error claim failed",
      "debug claim failed",
      "debug claim failed",
      "debug claim failed",
      "debug claim failed",
      "info claims work again",
    ]);
    expect(lines[0]).toMatchObject({ attempt: 0, err: { message: refused.message } });
    expect(lines[4]).toMatchObject({ attempt: 4, failures: 5 });
    expect(lines[5]).toMatchObject({ failures: 5, failingForMs: 1_000 });
  });

  it("logs a failure at error level again when the error changes", () => {
    const { logger, lines } = capturedLogger();
    const outage = createOutageLog(logger, messages);
    outage.failed(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    outage.failed(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    outage.failed(new BatonError("BATON_ERR_STORE_UNAVAILABLE"));
    outage.failed(new BatonError("BATON_ERR_STORE_UNAVAILABLE"));
    outage.failed(new TypeError("connect ECONNREFUSED 127.0.0.1:5432"));
    outage.failed("a thrown string");
    expect(skim(lines)).toEqual([
      "error claim failed",
      "debug claim failed",
      "error claim failed",
      "debug claim failed",
      "error claim failed",
      "error claim failed",
    ]);
  });

  it("reports the next outage afresh after a recovery", () => {
    const { logger, lines } = capturedLogger();
    const outage = createOutageLog(logger, messages);
    const refused = new Error("refused");
    outage.failed(refused);
    outage.succeeded();
    outage.failed(refused);
    outage.failed(refused);
    outage.succeeded();
    expect(skim(lines)).toEqual([
      "error claim failed",
      "info claims work again",
      "error claim failed",
      "debug claim failed",
      "info claims work again",
    ]);
    expect(lines[4]).toMatchObject({ failures: 2 });
  });
});
