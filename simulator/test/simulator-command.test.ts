import { describe, expect, it } from "vitest";
import { runSimulatorCommand, type SimulatorCommandIo } from "../src/cli.ts";
import { waitFor } from "./support/wait-for.ts";

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
    for (const argv of [["--bogus"], ["--port", "abc"], ["--port"], ["--api-key", ""]]) {
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

  it("generates and prints an API key when none is given", async () => {
    const io = captureIo();
    const running = runSimulatorCommand(["--port=0"], io);
    await waitFor(() => io.lines.some((line) => line.includes("API key")), { what: "start" });
    expect(io.lines.join("\n")).toMatch(/API key \(generated\): sim_[0-9a-f]{32}/);
    io.stop();
    expect(await running).toBe(0);
  });
});
