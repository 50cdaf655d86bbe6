import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import {
  parseConfigText,
  readConfigFile,
  validateConfig,
  type ConfigIssue,
} from "../../../src/config/index.ts";

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url));
const paths = (issues: readonly ConfigIssue[]) => issues.map((i) => i.path);

describe("config validation", () => {
  it("accepts the documented example and applies defaults", async () => {
    const result = await readConfigFile(fixture("valid.yaml"), { EIGHT_X_EIGHT_API_KEY: "k-123" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const eight = result.config.providers.eight!;
    expect(eight.apiKey).toBe("k-123");
    expect(eight.tenant).toBeUndefined();
    expect(eight.jwkUrl).toBe("{baseUrl}/chat-gateway/v1/jwk/{kid}/public");
    expect(eight.webhook).toEqual({ maxSkewSeconds: 300, reorderWindowMs: 250 });
    expect(result.config.endpoints.web?.handover?.provider).toBe("eight");
    expect(result.baseDir).toBe(fileURLToPath(new URL("../../fixtures/config", import.meta.url)));
  });

  it("reports every problem at once with its path and what was expected", async () => {
    const result = await readConfigFile(fixture("many-problems.yaml"), {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(paths(result.issues)).toEqual(
      expect.arrayContaining([
        "server.port",
        "server.colour",
        "store",
        "providers.eight.baseUrl",
        "providers.eight.apiKey",
        "providers.eight.webhook.maxSkewSeconds",
        "providers.genesys.type",
        "endpoints.web.channel",
        "endpoints.web.handover.provider",
      ]),
    );
    const missing = result.issues.find((i) => i.path === "providers.eight.apiKey");
    expect(missing).toMatchObject({ code: "BATON_ERR_CONFIG_ENV_MISSING" });
    expect(missing?.expected).toContain("MISSING_KEY");
    const unknownKey = result.issues.find((i) => i.path === "server.colour");
    expect(unknownKey?.expected).toContain("known key");
  });

  it("expands ${VAR} and ${VAR:-default} in strings only, with $$ as a literal dollar", () => {
    const result = validateConfig(
      {
        server: { publicUrl: "${PUBLIC:-http://localhost:3000}" },
        providers: { eight: { type: "8x8", baseUrl: "${BASE}", apiKey: "p$$ss-${KEY}" } },
      },
      { env: { BASE: "http://127.0.0.1:3001", KEY: "abc" } },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.server.publicUrl).toBe("http://localhost:3000");
    expect(result.config.providers.eight?.baseUrl).toBe("http://127.0.0.1:3001");
    expect(result.config.providers.eight?.apiKey).toBe("p$ss-abc");
  });

  it("never puts a secret into an issue", () => {
    const secret = "sk-very-secret-value";
    const result = validateConfig(
      { providers: { eight: { type: "8x8", baseUrl: secret, apiKey: 42, tenant: { nested: secret } } } },
      { env: {} },
    );
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it("accepts providers without endpoints (the gateway then only receives webhooks)", () => {
    const result = parseConfigText(
      `providers: { eight: { type: 8x8, baseUrl: "http://127.0.0.1:3001", apiKey: k } }`,
    );
    expect(result.ok).toBe(true);
  });

  it("reports YAML syntax errors with a line and column", () => {
    const result = parseConfigText("server:\n  port: [3000\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatchObject({ code: "BATON_ERR_CONFIG_YAML_SYNTAX" });
    expect(result.issues[0]?.path).toMatch(/^line \d+, column \d+$/);
  });

  it("reports a missing file as unreadable", async () => {
    const result = await readConfigFile(fixture("does-not-exist.yaml"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: "(file)", expected: "an existing file", code: "BATON_ERR_CONFIG_FILE_UNREADABLE" },
    ]);
  });
});
