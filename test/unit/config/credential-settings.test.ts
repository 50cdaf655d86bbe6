import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/index.ts";
import { sessionApiSecrets } from "../../../src/channels/rest/routes.ts";

const longSecret = "s".repeat(32);

describe("credential settings", () => {
  it("accepts apiSecret and server.metricsToken of 32 characters or more, expanded from the environment", () => {
    const result = validateConfig(
      {
        server: { metricsToken: "${METRICS_TOKEN}" },
        endpoints: {
          rest: { channel: "rest", apiSecret: "${REST_SECRET}" },
          bot: {
            channel: "webhook",
            callbackUrl: "https://bot.example.com/baton",
            callbackSecret: "bot-secret-0123456789",
          },
          both: {
            channel: "webhook",
            callbackUrl: "https://bot.example.com/baton",
            callbackSecret: "bot-secret-0123456789",
            apiSecret: longSecret,
          },
          open: { channel: "webchat" },
        },
      },
      { env: { METRICS_TOKEN: "m".repeat(40), REST_SECRET: longSecret } },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.server.metricsToken).toBe("m".repeat(40));
    // A webhook endpoint's callbackSecret opens inject/notify too; an endpoint with neither has no secret.
    expect(Object.fromEntries(sessionApiSecrets(result.config.endpoints))).toEqual({
      rest: [longSecret],
      bot: ["bot-secret-0123456789"],
      both: [longSecret, "bot-secret-0123456789"],
    });
  });

  it("refuses short secrets with their path, never echoing them", () => {
    const result = validateConfig(
      {
        server: { metricsToken: "short-metrics-token" },
        endpoints: { rest: { channel: "rest", apiSecret: "short-api-secret" } },
      },
      { env: {} },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.path, i.expected])).toEqual([
      ["server.metricsToken", expect.stringContaining("at least 32 characters")],
      ["endpoints.rest.apiSecret", expect.stringContaining("at least 32 characters")],
    ]);
    expect(JSON.stringify(result)).not.toMatch(/short-(metrics-token|api-secret)/);
  });
});
