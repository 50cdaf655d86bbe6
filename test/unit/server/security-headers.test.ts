import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCopilotLinks } from "../../../src/channels/copilot/links.ts";
import { demoCopilotFlow, startEmbedded } from "../../factories/embedded-gateway.ts";

/** A stand-in for the built workspace app, so the page answers 200 without `npm run build:copilot`. */
function fakeCopilotDist(): string {
  const dir = mkdtempSync(join(tmpdir(), "baton-copilot-dist-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><html><head></head><body></body></html>");
  return `${dir}/`;
}

function directives(csp: string | null): Record<string, string> {
  expect(csp).toBeTruthy();
  return Object.fromEntries(
    csp!.split(";").map((part) => {
      const [name = "", ...values] = part.trim().split(/\s+/);
      return [name, values.join(" ")];
    }),
  );
}

const common = (headers: Headers) => {
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("referrer-policy")).toBe("no-referrer");
};

describe("security headers", () => {
  it("the web chat page: a CSP of exactly what it uses, frame-ancestors 'self' by default", async () => {
    const { gateway, simulator } = await startEmbedded();
    const answer = await fetch(`${gateway.url}/`);
    common(answer.headers);
    expect(answer.headers.get("x-frame-options")).toBe(null);
    expect(directives(answer.headers.get("content-security-policy"))).toEqual({
      "default-src": "'none'",
      "script-src": "'self'",
      "style-src": "'self'",
      "connect-src": "'self'",
      // The simulator is the provider here: its plain-http origin serves the agents' attachments.
      "img-src": `'self' data: https: ${new URL(simulator.url).origin}`,
      "form-action": "'none'",
      "base-uri": "'none'",
      "object-src": "'none'",
      "frame-ancestors": "'self'",
    });
  });

  it("honours webchat.frameAncestors", async () => {
    const { gateway } = await startEmbedded({
      webchat: { frameAncestors: ["'self'", "https://shop.example.com"] },
    });
    const answer = await fetch(`${gateway.url}/`);
    expect(directives(answer.headers.get("content-security-policy"))["frame-ancestors"]).toBe(
      "'self' https://shop.example.com",
    );
  });

  it("the Copilot page: frame-src of copilot.iframeOrigins, frame-ancestors of copilot.frameAncestors", async () => {
    const { gateway } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      copilot: {
        iframeOrigins: ["https://crm.example.com"],
        frameAncestors: ["https://desktop.example.com"],
      },
      gatewayCopilot: { dist: fakeCopilotDist() },
    });
    const session = await gateway.conversations.openSession({
      endpointId: "web",
      userId: "u1",
      sessionId: "s1",
    });
    const link = await createCopilotLinks(gateway.store, { ttlMinutes: 60 }).linkFor(
      gateway.url,
      session,
      gateway.endpoints.get("web")!,
    );
    const answer = await fetch(link);
    expect(answer.status).toBe(200);
    common(answer.headers);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("x-frame-options")).toBe(null);
    expect(directives(answer.headers.get("content-security-policy"))).toEqual({
      "default-src": "'none'",
      // HTML tiles are srcdoc frames under this policy: their SDK and HTML are inline.
      "script-src": "'self' 'unsafe-inline'",
      "style-src": "'self' 'unsafe-inline'",
      "connect-src": "'self'",
      "img-src": "'self' data: https:",
      "frame-src": "https://crm.example.com",
      "form-action": "'none'",
      "base-uri": "'none'",
      "object-src": "'none'",
      "frame-ancestors": "https://desktop.example.com",
    });
  });

  it("the Copilot page defaults: embeddable by the same origin and 8x8, no iFrame tiles", async () => {
    const { gateway } = await startEmbedded({ copilotFlow: demoCopilotFlow });
    const answer = await fetch(`${gateway.url}/copilot/?userId=u&sessionId=s&URLToken=x&auth=y`);
    expect(answer.status).toBe(404);
    const csp = directives(answer.headers.get("content-security-policy"));
    expect(csp["frame-ancestors"]).toBe("'self' https://*.8x8.com");
    expect(csp["frame-src"]).toBe("'none'");
  });

  it("every other answer: nosniff, no framing, a CSP that allows nothing", async () => {
    const { gateway } = await startEmbedded();
    for (const path of ["/healthz", "/no-such-route"]) {
      const answer = await fetch(`${gateway.url}${path}`);
      common(answer.headers);
      expect(answer.headers.get("x-frame-options")).toBe("DENY");
      expect(answer.headers.get("strict-transport-security")).toBe(null);
      expect(directives(answer.headers.get("content-security-policy"))).toEqual({
        "default-src": "'none'",
        "frame-ancestors": "'none'",
      });
    }
  });
});
