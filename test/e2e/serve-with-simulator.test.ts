import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { createChatGatewayClient } from "../../src/providers/8x8/client.ts";
import { runBaton } from "../factories/baton-process.ts";

const apiKey = `sim_e2e_${Math.random().toString(16).slice(2)}`;
const workDir = await mkdtemp(join(tmpdir(), "baton-e2e-"));
afterAll(() => rm(workDir, { recursive: true, force: true }));

interface LogLine {
  msg?: string;
  kind?: string;
  conversationId?: string;
  url?: string;
}
const parseLog = (line: string): LogLine | undefined => {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
};

describe("a person runs the simulator, `baton serve` and `baton 8x8 setup`", () => {
  it("sees the simulator's signed events accepted and logged, with the API key nowhere in the output, and stops cleanly on SIGTERM", async () => {
    const simulator = runBaton(["simulator", "--port", "0", "--api-key", apiKey]);
    const simulatorUrl = /listening on (http:\/\/\S+)/.exec(
      await simulator.waitForLine(/listening on http/),
    )![1]!;

    const configFile = join(workDir, "baton.yaml");
    await writeFile(
      configFile,
      [
        "server: { port: 0, host: 127.0.0.1 }",
        "store: pglite://data",
        "providers:",
        "  eight:",
        "    type: 8x8",
        `    baseUrl: ${simulatorUrl}`,
        "    apiKey: ${EIGHT_X_EIGHT_API_KEY}",
        "    tenant: ${EIGHT_X_EIGHT_TENANT:-}",
        "",
      ].join("\n"),
    );
    const env = { EIGHT_X_EIGHT_API_KEY: apiKey };
    const gateway = runBaton(["serve", "--config", configFile], { env });
    const listening = parseLog(await gateway.waitForLine(/"msg":"gateway listening"/));
    const gatewayUrl = listening!.url!;

    const runSetup = () =>
      runBaton(
        [
          "8x8",
          "setup",
          "--config",
          configFile,
          "--provider",
          "eight",
          "--public-url",
          gatewayUrl,
          "--queue",
          "311",
        ],
        { env },
      );
    const setup = runSetup();
    expect(await setup.exited).toBe(0);
    const channelId = /channel\s+(\S+)\s+created/.exec(setup.lines.join("\n"))![1]!;
    expect(setup.lines.join("\n")).toMatch(/webhook\s+\S+\s+created\s+-> .*\/handover\/eightByEight\/eight/);

    const again = runSetup();
    expect(await again.exited).toBe(0);
    expect(again.lines.join("\n")).toContain(`channel  ${channelId}  already existed`);

    const client = createChatGatewayClient({ baseUrl: simulatorUrl, apiKey });
    const { conversationId } = await client.conversations.create({
      channelId,
      user: { name: "Ana Pereira", additionalProperties: [{ key: "Plan", value: "gold" }] },
    });
    await client.messages.send(conversationId, { authorType: "user", text: "I need a human" });
    await postJson(`${simulatorUrl}/sim/conversations/${conversationId}/accept`, {});
    await postJson(`${simulatorUrl}/sim/conversations/${conversationId}/messages`, {
      text: "Hi, I am Anna.",
    });
    await client.close();

    await gateway.waitForLine(/"kind":"message.received"/);
    const kinds = gateway.lines
      .map(parseLog)
      .filter((l) => l?.msg === "provider event" && l.conversationId === conversationId)
      .map((l) => l!.kind);
    expect(kinds).toEqual([
      "conversation.state",
      "conversation.state",
      "conversation.queued",
      "participant.joined",
      "conversation.state",
      "message.received",
    ]);
    expect(gateway.lines.some((l) => l.includes("WEB_HOOK_VERIFY answered"))).toBe(true);

    const metrics = await request(`${gatewayUrl}/metrics`).then((r) => r.body.text());
    expect(metrics).toMatch(
      /baton_webhook_events_total\{provider="eight",type="MESSAGE",outcome="ignored"\} 1/,
    );
    expect(metrics).toMatch(
      /baton_webhook_events_total\{provider="eight",type="MESSAGE",outcome="accepted"\} 1/,
    );
    expect(metrics).toMatch(
      /baton_provider_calls_total\{provider="eight",operation="jwk\.get",status="200"\} 1/,
    );

    for (const output of [gateway.lines, setup.lines, again.lines])
      expect(output.join("\n")).not.toContain(apiKey);

    expect(await gateway.stop("SIGTERM")).toBe(0);
    expect(gateway.lines.some((l) => parseLog(l)?.msg === "shutting down")).toBe(true);
    expect(await simulator.stop("SIGTERM")).toBe(0);
  }, 60_000);
});

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.body.dump();
  expect(response.statusCode).toBeLessThan(300);
}
