import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { createSimulator } from "../../simulator/src/index.ts";
import { createStore } from "../../src/store/index.ts";
import { freePort } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));

interface ScriptRun {
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** `sh <script>` as compose runs it (entrypoint ["sh", …]), with exactly `env` added. Killed at the end. */
function runScript(script: string, env: Record<string, string>): ScriptRun {
  const child = spawn("sh", [join(repo, script)], { env: { ...process.env, ...env } });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  return { lines, exited, kill: (signal) => child.kill(signal) };
}

/**
 * compose.yaml's two scripts outside a container (no container engine runs here): deploy/setup.sh sets
 * up the simulator and hands the channel id over, deploy/gateway.sh starts `baton serve` from
 * deploy/baton.yaml with it. A handover through that gateway proves the channel is the right one; SIGTERM
 * to the script stops the gateway cleanly because the script execs it.
 */
describe("the compose setup and gateway scripts", () => {
  it("set up the simulator, start a gateway from deploy/baton.yaml that hands over, and stop on SIGTERM", async () => {
    const simulator = await createSimulator();
    onTestFinished(() => simulator.close());
    const dir = await mkdtemp(join(tmpdir(), "baton-deploy-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const eightEnv = { EIGHT_X_EIGHT_BASE_URL: simulator.url, EIGHT_X_EIGHT_API_KEY: simulator.apiKey };
    const setupEnv = {
      ...eightEnv,
      BATON_HOME: repo,
      BATON_SETUP_CONFIG: join(repo, "deploy/setup.yaml"),
      BATON_SETUP_DIR: dir,
      WEBHOOK_PUBLIC_URL: `http://127.0.0.1:${port}`,
    };

    const setup = runScript("deploy/setup.sh", setupEnv);
    expect(await setup.exited, setup.lines.join("\n")).toBe(0);
    const written = await readFile(join(dir, "channel.env"), "utf8");
    const channelId = /^EIGHT_X_EIGHT_CHANNEL_ID=(\S+)\n$/.exec(written)?.[1];
    expect(channelId).toBeDefined();
    // Every `docker compose up` runs it again: the same channel, nothing new.
    const again = runScript("deploy/setup.sh", setupEnv);
    expect(await again.exited, again.lines.join("\n")).toBe(0);
    expect(again.lines.join("\n")).toContain(`channel  ${channelId}  already existed`);
    expect(await readFile(join(dir, "channel.env"), "utf8")).toBe(written);

    // The config names no URL token, so the gateway keeps the one in the store; logs redact it, so the
    // test puts it there first, as an earlier start would have.
    const storeUrl = `pglite://${join(dir, "data")}`;
    const store = await createStore(storeUrl);
    await store.migrate();
    const urlToken = await store.endpoints.ensureToken("web", undefined);
    await store.close();

    const gateway = runScript("deploy/gateway.sh", {
      ...eightEnv,
      BATON_HOME: repo,
      BATON_CONFIG: join(repo, "deploy/baton.yaml"),
      BATON_SETUP_DIR: dir,
      BATON_PORT: String(port),
      BATON_FLOWS: join(repo, "flows"),
      BATON_STORE_URL: storeUrl,
      BATON_BUS_URL: "memory",
    });
    await waitFor(
      () => gateway.lines.some((l) => l.includes('"msg":"gateway listening"')),
      120_000,
      `the gateway to listen; output:\n${gateway.lines.join("\n")}`,
    );
    const url = `http://127.0.0.1:${port}`;
    for (const path of ["/healthz", "/readyz"]) {
      const response = await request(`${url}${path}`);
      await response.body.dump();
      expect(response.statusCode, path).toBe(200);
    }
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(url, urlToken, { userId: "dee", sessionId: "s-deploy" });
    await chat.waitForMessage(says("bot", "demo bot"));
    const waiting = await reachAgent(chat, agent, "dee");
    expect(waiting.channelId).toBe(channelId);
    await agent.say(waiting.id, "Hello from the deployed stack.");
    await chat.waitForMessage(says("agent", "Hello from the deployed stack."));

    gateway.kill("SIGTERM");
    expect(await gateway.exited).toBe(0);
    expect(gateway.lines.some((l) => l.includes('"msg":"shutting down"'))).toBe(true);
  }, 180_000);
});
