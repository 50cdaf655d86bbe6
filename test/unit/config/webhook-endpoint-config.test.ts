import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/index.ts";

const secret = "0123456789abcdef-secret";

describe("config: callbackUrl and callbackSecret belong to webhook endpoints", () => {
  it("accepts a webhook endpoint with both, the secret from ${VAR}", () => {
    const result = validateConfig(
      {
        endpoints: {
          bot: { channel: "webhook", callbackUrl: "https://bot.example/baton", callbackSecret: "${S}" },
        },
      },
      { env: { S: secret } },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.endpoints.bot).toMatchObject({
      callbackUrl: "https://bot.example/baton",
      callbackSecret: secret,
    });
  });

  it("requires both on a webhook endpoint and refuses them elsewhere, naming the path", () => {
    const result = validateConfig({
      endpoints: {
        bare: { channel: "webhook" },
        web: { channel: "webchat", callbackUrl: "http://x.example/", callbackSecret: secret },
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.path, i.expected])).toEqual(
      expect.arrayContaining([
        ["endpoints.bare.callbackUrl", "callbackUrl (required with channel webhook)"],
        ["endpoints.bare.callbackSecret", "callbackSecret (required with channel webhook)"],
        ["endpoints.web.callbackUrl", "no callbackUrl (it belongs to channel webhook only)"],
        ["endpoints.web.callbackSecret", "no callbackSecret (it belongs to channel webhook only)"],
      ]),
    );
  });

  it("wants an http(s) URL and a secret of at least 16 characters, without echoing the secret", () => {
    const short = "short-secret";
    const result = validateConfig({
      endpoints: { bot: { channel: "webhook", callbackUrl: "ftp://bot.example/", callbackSecret: short } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["endpoints.bot.callbackUrl", "endpoints.bot.callbackSecret"]),
    );
    expect(result.issues.find((i) => i.path === "endpoints.bot.callbackSecret")?.expected).toBe(
      "a secret of at least 16 characters",
    );
    expect(JSON.stringify(result.issues)).not.toContain(short);
  });
});
