import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationSummary } from "../../simulator/src/index.ts";
import { runBaton, type BatonProcess } from "../factories/baton-process.ts";
import { freePort } from "../factories/embedded-gateway.ts";
import { says } from "../factories/handover-steps.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

const workDir = await mkdtemp(join(tmpdir(), "baton-start-state-"));
afterAll(() => rm(workDir, { recursive: true, force: true }));

type SimulatorMessage = { id: string; text: string; author: { type: string } };

/** What `baton start` printed, parsed: where the web chat, the gateway and the simulator are. */
type Started = { process: BatonProcess; gatewayUrl: string; simulatorUrl: string; urlToken: string };

async function start(ports: { port: number; simPort: number }, dataDir: string, extra: string[] = []) {
  const process = runBaton([
    "start",
    "--port",
    String(ports.port),
    "--sim-port",
    String(ports.simPort),
    "--data",
    dataDir,
    ...extra,
  ]);
  await process.waitForLine(/Baton is running/, 60_000);
  await process.waitForLine(/Ctrl\+C stops/);
  const banner = process.lines.join("\n");
  const field = (pattern: RegExp) => {
    const match = pattern.exec(banner);
    if (match?.[1] === undefined) throw new Error(`no ${String(pattern)} in:\n${banner}`);
    return match[1];
  };
  return {
    process,
    gatewayUrl: field(/Gateway:\s+(http:\/\/\S+)/),
    simulatorUrl: field(/8x8 simulator:\s+(http:\/\/\S+)/),
    urlToken: field(/REST endpoint:\s+POST \S+\/endpoints\/(\S+)/),
  } satisfies Started;
}

async function simControl<T>(simulatorUrl: string, method: "GET" | "POST", path: string, body?: unknown) {
  const response = await request(`${simulatorUrl}/sim${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

const conversations = (url: string) =>
  simControl<{ conversations: ConversationSummary[] }>(url, "GET", "/conversations").then(
    (b) => b.conversations,
  );
const messagesOf = (url: string, id: string) =>
  simControl<{ messages: SimulatorMessage[] }>(url, "GET", `/conversations/${id}/messages`).then(
    (b) => b.messages,
  );

describe("`baton start` stopped and started again on the same data directory", () => {
  it("shows the same conversations in the agent console and the open handover carries on; a corrupt state is a clear error", async () => {
    const dataDir = join(workDir, "data");
    const ports = { port: await freePort(), simPort: await freePort() };

    // First run: the user reaches an agent, who answers.
    const first = await start(ports, dataDir);
    expect(first.process.lines.join("\n")).toContain(
      `Simulator state:     ${join(dataDir, "simulator-state.json")}`,
    );
    const chat = await connectWebchat(first.gatewayUrl, first.urlToken, {
      userId: "ana",
      sessionId: "s-kept",
    });
    await chat.waitForMessage(says("bot", "demo bot"));
    await chat.say("talk to a human");
    const waiting = await waitFor(
      async () => (await conversations(first.simulatorUrl)).find((c) => c.status === "queued"),
      15_000,
      "the handover waiting in the simulator's queue",
    );
    await simControl(first.simulatorUrl, "POST", `/conversations/${waiting.id}/accept`, {});
    await simControl(first.simulatorUrl, "POST", `/conversations/${waiting.id}/messages`, {
      text: "Anna here, before the restart.",
    });
    await chat.waitForMessage(says("agent", "before the restart"));
    const summariesBefore = await conversations(first.simulatorUrl);
    const messagesBefore = await messagesOf(first.simulatorUrl, waiting.id);
    await chat.close();
    expect(await first.process.stop("SIGTERM")).toBe(0);
    await access(join(dataDir, "simulator-state.json"));

    // Second run: the console shows the same conversation and messages, and the handover still works.
    const second = await start(ports, dataDir);
    expect(second.process.lines.join("\n")).toMatch(
      /Simulator state:\s+\S+ \(restored 1 conversation\(s\)\)/,
    );
    const summariesAfter = await conversations(second.simulatorUrl);
    expect(summariesAfter.map(({ id, status, agentId }) => ({ id, status, agentId }))).toEqual(
      summariesBefore.map(({ id, status, agentId }) => ({ id, status, agentId })),
    );
    expect((await messagesOf(second.simulatorUrl, waiting.id)).map(({ id, text }) => ({ id, text }))).toEqual(
      messagesBefore.map(({ id, text }) => ({ id, text })),
    );
    const back = await connectWebchat(second.gatewayUrl, second.urlToken, {
      userId: "ana",
      sessionId: "s-kept",
      lastSeq: Math.max(...chat.messages().map((m) => m.seq)),
    });
    await back.say("Are you still there?");
    await waitFor(
      async () =>
        (await messagesOf(second.simulatorUrl, waiting.id)).some((m) => m.text === "Are you still there?"),
      15_000,
      "the user's message in the same simulator conversation",
    );
    await simControl(second.simulatorUrl, "POST", `/conversations/${waiting.id}/messages`, {
      text: "Still here after the restart.",
    });
    await back.waitForMessage(says("agent", "Still here after the restart."), 15_000);
    expect(await conversations(second.simulatorUrl)).toHaveLength(1);
    await back.close();
    expect(await second.process.stop("SIGTERM")).toBe(0);

    // A damaged state file: exit 1 with the catalog code, the file and the way out, no stack trace.
    const stateFile = join(dataDir, "simulator-state.json");
    await writeFile(stateFile, '{"format": "baton-8x8-simulator-state", "vers');
    const broken = runBaton([
      "start",
      "--port",
      String(ports.port),
      "--sim-port",
      String(ports.simPort),
      "--data",
      dataDir,
    ]);
    expect(await broken.exited).toBe(1);
    const output = broken.lines.join("\n");
    expect(output).toContain(
      `baton: BATON_ERR_SIMULATOR_STATE_INVALID: The simulator state file ${stateFile} is not valid JSON`,
    );
    expect(output).toContain("Run `baton start --fresh` to discard it, or delete the file.");
    expect(output).not.toMatch(/^\s+at /m);

    // --fresh: the simulator starts empty over the same data directory.
    const fresh = await start(ports, dataDir, ["--fresh"]);
    expect(fresh.process.lines.join("\n")).toMatch(/Simulator state:\s+\S+ \(new\)/);
    expect(await conversations(fresh.simulatorUrl)).toEqual([]);
    expect(await fresh.process.stop("SIGTERM")).toBe(0);
  }, 180_000);
});
