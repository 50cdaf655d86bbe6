import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSimulatorCommand, type SimulatorCommandIo } from "../src/cli.ts";
import { waitFor } from "./support/wait-for.ts";

const workDir = await mkdtemp(join(tmpdir(), "baton-sim-cli-"));
afterAll(() => rm(workDir, { recursive: true, force: true }));

/** Starts the command and resolves with its base URL once the banner is out. */
async function startCommand(argv: string[], io: ReturnType<typeof captureIo>) {
  const running = runSimulatorCommand(argv, io);
  const urlLine = await waitFor(() => io.lines.find((line) => line.includes("listening on")), {
    what: "start",
  });
  return { running, url: /(http:\/\/127\.0\.0\.1:\d+)/.exec(urlLine)?.[1] ?? "" };
}

function captureIo(): SimulatorCommandIo & { lines: string[]; errors: string[]; stop(): void } {
  const lines: string[] = [];
  const errors: string[] = [];
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    waitForStop: () => stopped,
    stop: () => stop(),
  };
}

describe("baton simulator command", () => {
  it("prints the usage for --help and exits 0", async () => {
    const io = captureIo();
    expect(await runSimulatorCommand(["--help"], io)).toBe(0);
    expect(io.lines.join("\n")).toContain("--api-key <key>");
  });

  it("rejects unknown flags and bad values with exit code 2 and a clear message", async () => {
    for (const argv of [
      ["--bogus"],
      ["--port", "abc"],
      ["--port"],
      ["--api-key", ""],
      ["--webhook-attempts", "0"],
      ["--webhook-attempts", "three"],
      ["--webhook-attempts", "101"],
      ["--webhook-base-delay-ms", "-5"],
      ["--webhook-base-delay-ms", "60001"],
      ["--state", ""],
      ["--fresh"],
      ["--fresh=yes", "--state", "state.json"],
    ]) {
      const io = captureIo();
      expect(await runSimulatorCommand(argv, io)).toBe(2);
      expect(io.errors[0]).toMatch(/^baton simulator: /);
    }
  });

  it("starts, prints URL, key, console and a Baton hint, serves requests, and stops cleanly with 0", async () => {
    const io = captureIo();
    const running = runSimulatorCommand(["--port", "0", "--api-key", "sim_cli", "--tenant", "acme"], io);
    const urlLine = await waitFor(() => io.lines.find((line) => line.includes("listening on")), {
      what: "start",
    });
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(urlLine)?.[1] ?? "";
    const output = io.lines.join("\n");
    expect(output).toContain("sim_cli");
    expect(output).toContain(`${url}/console`);
    expect(output).toContain("Point Baton at it");
    const response = await fetch(`${url}/chat-gateway/v1/webhooks`, { headers: { "x-api-key": "sim_cli" } });
    expect(response.status).toBe(200);
    io.stop();
    expect(await running).toBe(0);
    await expect(fetch(`${url}/console`)).rejects.toThrow();
  });

  it("names the flag and the accepted range for a bad retry budget", async () => {
    const io = captureIo();
    expect(await runSimulatorCommand(["--webhook-attempts", "0"], io)).toBe(2);
    expect(io.errors[0]).toBe(
      'baton simulator: --webhook-attempts must be an integer number of attempts between 1 and 100, got "0"',
    );
  });

  it("applies --webhook-attempts and --webhook-base-delay-ms to the running simulator", async () => {
    const io = captureIo();
    const { running, url } = await startCommand(
      ["--port", "0", "--webhook-attempts", "2", "--webhook-base-delay-ms=15"],
      io,
    );
    const retry = await fetch(`${url}/sim/webhook-retry`).then((r) => r.json());
    expect(retry).toEqual({ maxAttempts: 2, baseDelayMs: 15 });
    io.stop();
    expect(await running).toBe(0);
  });

  it("keeps the API key and the conversations in --state across runs, and says what it restored", async () => {
    const stateFile = join(workDir, "kept.json");
    const first = captureIo();
    const one = await startCommand(["--port", "0", "--state", stateFile], first);
    const apiKey = /API key \(generated\): (\S+)/.exec(first.lines.join("\n"))?.[1] ?? "";
    expect(first.lines).toContain(`  State file:    ${stateFile} (new, nothing restored)`);
    const webhook = await fetch(`${one.url}/chat-gateway/v1/webhooks`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "content-type": "application/json" },
      body: JSON.stringify({ name: "w", uri: "http://127.0.0.1:9/hook", version: "Chat Gateway v1.0" }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    first.stop();
    expect(await one.running).toBe(0);

    const second = captureIo();
    const two = await startCommand(["--port", "0", "--state", stateFile], second);
    expect(second.lines.join("\n")).toContain(`API key (from the state file): ${apiKey}`);
    expect(second.lines).toContain(`  State file:    ${stateFile} (restored 0 conversation(s))`);
    const kept = await fetch(`${two.url}/chat-gateway/v1/webhooks/${webhook.id}`, {
      headers: { "x-api-key": apiKey },
    });
    expect(kept.status).toBe(200);
    second.stop();
    expect(await two.running).toBe(0);
  });

  it("refuses a corrupt --state file with exit 1, naming the file and --fresh, without a stack trace", async () => {
    const stateFile = join(workDir, "corrupt.json");
    await writeFile(stateFile, '{"format": "baton-8x8-simulator-state", "version": 1, "apiKey": ');
    const io = captureIo();

    expect(await runSimulatorCommand(["--port", "0", "--state", stateFile], io)).toBe(1);

    expect(io.errors).toHaveLength(1);
    const [line = ""] = io.errors;
    expect(line.startsWith(`baton simulator: could not start: The simulator state file ${stateFile} `)).toBe(
      true,
    );
    expect(line).toMatch(
      /is not valid JSON \(.+\)\. Start the simulator with --fresh to discard it, or delete the file\.$/,
    );
    expect(line).not.toMatch(/\n\s+at /);

    const fresh = captureIo();
    const started = await startCommand(["--port", "0", "--state", stateFile, "--fresh"], fresh);
    expect(fresh.lines).toContain(`  State file:    ${stateFile} (new, nothing restored)`);
    fresh.stop();
    expect(await started.running).toBe(0);
  });

  it("generates and prints an API key when none is given", async () => {
    const io = captureIo();
    const running = runSimulatorCommand(["--port=0"], io);
    await waitFor(() => io.lines.some((line) => line.includes("API key")), { what: "start" });
    expect(io.lines.join("\n")).toMatch(/API key \(generated\): sim_[0-9a-f]{32}/);
    io.stop();
    expect(await running).toBe(0);
  });
});
