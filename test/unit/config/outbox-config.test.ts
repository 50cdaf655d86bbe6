import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/index.ts";

const issuesOf = (raw: unknown) => {
  const result = validateConfig(raw);
  return result.ok ? [] : result.issues.map((i) => [i.path, i.expected]);
};

describe("outbox.retryForMinutes", () => {
  it("defaults to two hours, longer than an hour's outage of 8x8", () => {
    const result = validateConfig({});
    expect(result.ok && result.config.outbox).toEqual({ retryForMinutes: 120 });
  });

  it("takes whole minutes from one minute to a week", () => {
    for (const retryForMinutes of [1, 45, 7 * 24 * 60]) {
      const result = validateConfig({ outbox: { retryForMinutes } });
      expect(result.ok && result.config.outbox.retryForMinutes).toBe(retryForMinutes);
    }
  });

  it("refuses anything else, and unknown keys, with the path", () => {
    for (const retryForMinutes of [0, -5, 1.5, 7 * 24 * 60 + 1, "60"]) {
      expect(issuesOf({ outbox: { retryForMinutes } }).map(([path]) => path)).toEqual([
        "outbox.retryForMinutes",
      ]);
    }
    expect(issuesOf({ outbox: { maxAttempts: 10 } }).length).toBeGreaterThan(0);
  });
});
