import { describe, expect, it } from "vitest";
import { validateConfig, type ConfigIssue } from "../../../src/config/index.ts";

const paths = (issues: readonly ConfigIssue[]) => issues.map((i) => i.path);

describe("copilot config", () => {
  it("defaults to an offline Copilot with every redaction on and hour-long links", () => {
    const result = validateConfig({}, { env: {} });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.copilot).toEqual({
      redaction: { cardNumbers: true, emails: true, phoneNumbers: true },
      link: { ttlMinutes: 60 },
      iframeOrigins: [],
      frameAncestors: ["'self'", "https://*.8x8.com"],
    });
  });

  it("accepts the full block and expands the API key from the environment", () => {
    const result = validateConfig(
      {
        copilot: {
          ai: {
            baseUrl: "http://localhost:11434/v1",
            model: "llama3.1",
            apiKey: "${AI_KEY}",
            timeoutMs: 5000,
          },
          knowledge: { folder: "knowledge" },
          redaction: { phoneNumbers: false },
          link: { text: "Copilot: {url}", ttlMinutes: 480 },
        },
      },
      { env: { AI_KEY: "sk-123" } },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.copilot).toEqual({
      ai: { baseUrl: "http://localhost:11434/v1", model: "llama3.1", apiKey: "sk-123", timeoutMs: 5000 },
      knowledge: { folder: "knowledge" },
      redaction: { cardNumbers: true, emails: true, phoneNumbers: false },
      link: { text: "Copilot: {url}", ttlMinutes: 480 },
      iframeOrigins: [],
      frameAncestors: ["'self'", "https://*.8x8.com"],
    });
  });

  it("refuses copilot.link.signed, whatever its value, saying links are always signed", () => {
    for (const signed of [true, false]) {
      const result = validateConfig({ copilot: { link: { signed } } }, { env: {} });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues).toEqual([
        {
          path: "copilot.link.signed",
          expected: expect.stringContaining("always signed") as string,
          code: "BATON_ERR_CONFIG_INVALID",
        },
      ]);
    }
  });

  it("treats an empty API key as none and applies the default timeout", () => {
    const result = validateConfig(
      { copilot: { ai: { baseUrl: "http://127.0.0.1:8080/v1", model: "local", apiKey: "${AI_KEY:-}" } } },
      { env: {} },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.copilot.ai).toEqual({
      baseUrl: "http://127.0.0.1:8080/v1",
      model: "local",
      timeoutMs: 10_000,
    });
  });

  it("rejects unknown keys and wrong values, each with its path, never echoing the key", () => {
    const secret = "sk-never-show-this";
    const result = validateConfig(
      {
        copilot: {
          colour: "blue",
          ai: { baseUrl: "ftp://models", model: "", apiKey: secret, temperature: 0.2, timeoutMs: 10 },
          knowledge: { folder: "", depth: 3 },
          redaction: { cardNumbers: "yes", ibans: true },
          link: { text: "no placeholder", ttlMinutes: 0 },
        },
      },
      { env: {} },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(paths(result.issues)).toEqual(
      expect.arrayContaining([
        "copilot.colour",
        "copilot.ai.baseUrl",
        "copilot.ai.model",
        "copilot.ai.temperature",
        "copilot.ai.timeoutMs",
        "copilot.knowledge.folder",
        "copilot.knowledge.depth",
        "copilot.redaction.cardNumbers",
        "copilot.redaction.ibans",
        "copilot.link.text",
        "copilot.link.ttlMinutes",
      ]),
    );
    expect(result.issues.find((i) => i.path === "copilot.link.text")?.expected).toContain("{url}");
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it("requires baseUrl and model together", () => {
    const result = validateConfig({ copilot: { ai: { apiKey: "k" } } }, { env: {} });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(paths(result.issues)).toEqual(expect.arrayContaining(["copilot.ai.baseUrl", "copilot.ai.model"]));
  });
});
