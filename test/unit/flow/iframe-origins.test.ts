import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadEndpoints } from "../../../src/channels/endpoint-loader.ts";
import { validateConfig } from "../../../src/config/index.ts";
import { isBatonError } from "../../../src/errors/index.ts";
import { parseFlow } from "../../../src/flow/index.ts";
import { iframeOriginIssues } from "../../../src/flow/iframe-origins.ts";
import type { Store } from "../../../src/store/types.ts";

const flowWith = (urls: Record<string, string>) => ({
  id: "c",
  start: Object.keys(urls)[0],
  nodes: Object.fromEntries(
    Object.entries(urls).map(([id, url], i, all) => [
      id,
      { type: "iframeTile", tile: id, url, ...(i + 1 < all.length ? { next: all[i + 1]![0] } : {}) },
    ]),
  ),
});

describe("iFrame tiles are limited to copilot.iframeOrigins", () => {
  it("checks literal and templated URLs by their (always literal) origin", () => {
    const flow = parseFlow(
      stringify(
        flowWith({
          crm: "https://crm.example.com/customers",
          crmUser: "https://crm.example.com/u/{{ session.userId }}",
          other: "https://evil.example.net/{{ session.userId }}",
          port: "https://crm.example.com:8443/",
        }),
      ),
      { file: "copilot.yaml", kind: "copilot" },
    );
    expect(iframeOriginIssues(flow, ["https://crm.example.com"])).toEqual([
      expect.objectContaining({ file: "copilot.yaml", nodeId: "other", field: "url" }),
      expect.objectContaining({ file: "copilot.yaml", nodeId: "port", field: "url" }),
    ]);
    expect(iframeOriginIssues(flow, [])).toHaveLength(4);
    expect(iframeOriginIssues(flow, [])[0]!.expected).toContain("copilot.iframeOrigins (it is empty)");
  });

  it("refuses a copilot flow with an unlisted origin when it loads (BATON_ERR_FLOW_INVALID)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-iframe-"));
    writeFileSync(join(dir, "copilot.yaml"), stringify(flowWith({ f: "https://crm.example.com/x" })));
    writeFileSync(
      join(dir, "bot.yaml"),
      stringify({ id: "b", start: "e", nodes: { e: { type: "say", text: "hi" } } }),
    );
    const store = { endpoints: { ensureToken: () => Promise.resolve("a".repeat(64)) } } as unknown as Store;
    const configFor = (copilot: Record<string, unknown>) => {
      const result = validateConfig({
        endpoints: { web: { channel: "webchat", flow: "bot.yaml", copilot: { flow: "copilot.yaml" } } },
        copilot,
      });
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result.config;
    };
    const refused = await loadEndpoints(configFor({}), dir, store, new Map()).catch((e: unknown) => e);
    expect(isBatonError(refused) && refused.code).toBe("BATON_ERR_FLOW_INVALID");
    expect(isBatonError(refused) && refused.details).toMatchObject({
      issues: [expect.objectContaining({ nodeId: "f", field: "url" })],
    });
    const loaded = await loadEndpoints(
      configFor({ iframeOrigins: ["https://crm.example.com"] }),
      dir,
      store,
      new Map(),
    );
    expect(loaded.get("web")?.copilotFlow).toBeDefined();
  });
});
