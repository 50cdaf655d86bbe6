import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/telemetry/logger.ts";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: "debug" }) };
}

describe("log redaction", () => {
  it("never writes API keys, URL tokens, signatures or authorization headers", () => {
    const { lines, logger } = capture();
    logger.info({ apiKey: "k1-secret" }, "top level");
    logger.info({ provider: { apiKey: "k2-secret" } }, "nested");
    logger.info({ config: { providers: { apiKey: "k3-secret" } } }, "deeper");
    logger.info({ urlToken: "t1-secret", endpoint: { urlToken: "t2-secret" } }, "tokens");
    logger.info(
      {
        headers: {
          "x-api-key": "k4-secret",
          "x-8x8-signature": "s1-secret",
          authorization: "Bearer b1-secret",
        },
        req: { headers: { "x-api-key": "k5-secret", authorization: "Basic b2-secret" } },
      },
      "headers",
    );
    const output = lines.join("");
    expect(output).not.toMatch(/-secret/);
    expect(output.match(/\[redacted\]/g)?.length).toBe(10);
  });

  it("writes one JSON object per line with level, time and message", () => {
    const { lines, logger } = capture();
    logger.warn({ conversationId: "c1" }, "hello");
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 40, msg: "hello", conversationId: "c1", name: "baton" });
    expect(typeof entry.time).toBe("string");
  });
});
