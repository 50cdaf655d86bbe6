import { fileURLToPath } from "node:url";
import { request } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { validateConfig } from "../../src/config/index.ts";
import { createGateway } from "../../src/index.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";

const flow = fileURLToPath(new URL("../fixtures/flows/handover-unsupported.yaml", import.meta.url));

describe("a handover on an endpoint that cannot hand over", () => {
  it("tells the user, and the flow continues below the node with status error and reason unsupported", async () => {
    const config = validateConfig({
      store: "pglite://memory",
      endpoints: { api: { channel: "rest", flow } },
    });
    if (!config.ok) throw new Error(JSON.stringify(config.issues));
    const gateway = await createGateway(config, { port: 0, host: "127.0.0.1", logger: createSilentLogger() });
    onTestFinished(() => gateway.close());
    const token = gateway.endpoints.get("api")!.urlToken;

    const response = await request(`${gateway.url}/endpoints/${token}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "u1", sessionId: "s1", text: "I want a human" }),
    });
    const body = (await response.body.json()) as { outputs: { source: string; text?: string }[] };
    expect(response.statusCode).toBe(200);
    expect(body.outputs.map((o) => [o.source, o.text])).toEqual([
      ["system", "Sorry, we could not reach an agent right now."],
      ["bot", "status=error reason=unsupported"],
    ]);
    const open = await gateway.store.handovers.listOpen();
    expect(open).toEqual([]);
  });
});
