import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/index.ts";

const valid = (raw: unknown) => {
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
};
const issuesOf = (raw: unknown) => {
  const result = validateConfig(raw);
  return result.ok ? [] : result.issues.map((i) => i.path);
};

describe("server.trustProxy, server.limits, frame and iframe settings", () => {
  it("has safe, documented defaults", () => {
    const config = valid({});
    expect(config.server.trustProxy).toBe(false);
    expect(config.server.limits).toEqual({
      tokenRoutesPerMinute: 1200,
      sessionsPerMinute: 300,
      webchatFramesPerMinute: 600,
    });
    expect(config.webchat.frameAncestors).toEqual(["'self'"]);
    expect(config.copilot.frameAncestors).toEqual(["'self'", "https://*.8x8.com"]);
    expect(config.copilot.iframeOrigins).toEqual([]);
  });

  it("takes trustProxy as a boolean, a hop count or proxy addresses / CIDR ranges", () => {
    for (const trustProxy of [true, false, 1, ["10.0.0.0/8", "::1", "192.168.1.7", "fd00::/8", "loopback"]])
      expect(valid({ server: { trustProxy } }).server.trustProxy).toEqual(trustProxy);
    for (const trustProxy of [
      0,
      -1,
      1.5,
      "yes",
      [],
      ["10.0.0.0/33"],
      ["proxy.example.com"],
      ["10.0.0.1/8/1"],
    ])
      expect(issuesOf({ server: { trustProxy } }).some((path) => path.startsWith("server.trustProxy"))).toBe(
        true,
      );
  });

  it("refuses limits below 1 and unknown limit names", () => {
    expect(issuesOf({ server: { limits: { sessionsPerMinute: 0 } } })).toEqual([
      "server.limits.sessionsPerMinute",
    ]);
    expect(issuesOf({ server: { limits: { framesPerSecond: 5 } } }).length).toBeGreaterThan(0);
  });

  it("takes origins for frame-ancestors and iFrame tiles, nothing that would widen a policy", () => {
    const config = valid({
      webchat: { frameAncestors: ["https://shop.example.com", "'self'"] },
      copilot: {
        frameAncestors: ["https://*.8x8.com", "http://localhost:8080"],
        iframeOrigins: ["https://crm.example.com/", "http://127.0.0.1:9000"],
      },
    });
    // Written with or without a trailing slash, kept as the origin the browser compares.
    expect(config.copilot.iframeOrigins).toEqual(["https://crm.example.com", "http://127.0.0.1:9000"]);
    for (const bad of ["*", "https:", "'unsafe-inline'", "https://x.example.com/path", "javascript:x"])
      expect(issuesOf({ webchat: { frameAncestors: [bad] } }).length).toBeGreaterThan(0);
    for (const bad of ["https://*.example.com", "https://crm.example.com/app", "ftp://crm.example.com"])
      expect(issuesOf({ copilot: { iframeOrigins: [bad] } }).length).toBeGreaterThan(0);
  });
});
