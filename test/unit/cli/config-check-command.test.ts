import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.ts";
import type { CliIo } from "../../../src/cli/io.ts";

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  return { io, out, err };
}
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url));

describe("baton config check", () => {
  it("prints every problem with its path and exits 1", async () => {
    const { io, err } = captureIo();
    const code = await main(["config", "check", fixture("many-problems.yaml")], io);
    expect(code).toBe(1);
    const text = err.join("\n");
    expect(text).toContain("problem(s)");
    expect(text).toContain("server.port");
    expect(text).toContain("providers.eight.apiKey: expected environment variable MISSING_KEY");
    expect(text).toContain("endpoints.web.handover.provider");
  });

  it("says a valid file is valid and exits 0 without printing the API key", async () => {
    const { io, out, err } = captureIo();
    process.env.EIGHT_X_EIGHT_API_KEY = "secret-key-value-123";
    try {
      const code = await main(["config", "check", fixture("valid.yaml")], io);
      expect(code).toBe(0);
      expect(out.join("\n")).toContain("valid (1 provider(s), 1 endpoint(s))");
      expect([...out, ...err].join("\n")).not.toContain("secret-key-value-123");
    } finally {
      delete process.env.EIGHT_X_EIGHT_API_KEY;
    }
  });

  it("exits 2 with usage help when the file argument is missing", async () => {
    const { io, err } = captureIo();
    expect(await main(["config", "check"], io)).toBe(2);
    expect(err.join("\n")).toContain("BATON_ERR_CLI_USAGE");
  });

  it("shows help for every command", async () => {
    for (const command of [
      ["start"],
      ["serve"],
      ["simulator"],
      ["config", "check"],
      ["8x8", "setup"],
      ["migrate"],
    ]) {
      const { io, out } = captureIo();
      expect(await main([...command, "--help"], io), command.join(" ")).toBe(0);
      expect(out.join("\n"), command.join(" ")).toMatch(/^Usage: baton /);
    }
  });

  it("rejects an unknown command with exit code 2", async () => {
    const { io, err } = captureIo();
    expect(await main(["frobnicate"], io)).toBe(2);
    expect(err.join("\n")).toContain('unknown command "frobnicate"');
  });
});
