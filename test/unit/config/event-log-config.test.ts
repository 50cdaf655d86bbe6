import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/index.ts";

describe("event log and admin key settings", () => {
  it("defaults: the event log on, 72 hours, 64 KiB bodies; no admin key (the admin API is off)", () => {
    const result = validateConfig({}, { env: {} });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.eventLog).toEqual({
      enabled: true,
      retentionHours: 72,
      maxBodyBytes: 65_536,
      bufferSize: 10_000,
      flushIntervalMs: 1_000,
    });
    expect(result.config.server.adminKey).toBeUndefined();
  });

  it("takes an admin key of 32 characters or more from the environment", () => {
    const result = validateConfig(
      { server: { adminKey: "${BATON_ADMIN_KEY}" }, eventLog: { retentionHours: 24, maxBodyBytes: 0 } },
      { env: { BATON_ADMIN_KEY: "k".repeat(32) } },
    );
    expect(result.ok && result.config.server.adminKey).toBe("k".repeat(32));
    expect(result.ok && result.config.eventLog.retentionHours).toBe(24);
  });

  it("refuses a short admin key without echoing it, and every out-of-range event log setting with its path", () => {
    const result = validateConfig(
      {
        server: { adminKey: "short-admin-key" },
        eventLog: { retentionHours: 0, maxBodyBytes: -1, bufferSize: 10, flushIntervalMs: 0, keep: true },
      },
      { env: {} },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path).sort()).toEqual(
      [
        "eventLog.bufferSize",
        "eventLog.flushIntervalMs",
        "eventLog.keep",
        "eventLog.maxBodyBytes",
        "eventLog.retentionHours",
        "server.adminKey",
      ].sort(),
    );
    expect(result.issues.find((i) => i.path === "server.adminKey")?.expected).toContain(
      "at least 32 characters",
    );
    expect(JSON.stringify(result)).not.toContain("short-admin-key");
  });
});
