import { Writable } from "node:stream";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/telemetry/logger.ts";
import { redactUrl } from "../../../src/telemetry/url-redaction.ts";

const token = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a";
const other = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzMSIsImV4cCI6MTc2NzIyNTYwMH0.c2lnbmF0dXJlLWJ5dGVz";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: "debug" }) };
}

describe("redactUrl", () => {
  it.each([
    [`/endpoints/${token}/ws`, "/endpoints/[redacted]/ws"],
    [`/endpoints/${token}`, "/endpoints/[redacted]"],
    [`/endpoints/${token}/handover/inactivity`, "/endpoints/[redacted]/handover/inactivity"],
    [`/inject/${token}`, "/inject/[redacted]"],
    [`/notify/${token}?x=1`, "/notify/[redacted]?x=1"],
    [`//endpoints/${token}/ws`, "//endpoints/[redacted]/ws"],
    [`/Endpoints/${token}`, "/Endpoints/[redacted]"],
    [`/%65ndpoints/${token}/ws`, "/%65ndpoints/[redacted]/ws"],
    [`/endpoints%2F${token}/ws`, "/endpoints%2F[redacted]/ws"],
    [`/endpoints/${token.slice(0, 20)}%2F${token.slice(20)}/ws`, "/endpoints/[redacted]/ws"],
  ])("redacts the token segment of %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it("redacts URLToken and auth in query strings, keeping the other parameters and their order", () => {
    expect(redactUrl(`/copilot/?userId=u1&sessionId=s1&URLToken=${token}&auth=${jwt}`)).toBe(
      "/copilot/?userId=u1&sessionId=s1&URLToken=[redacted]&auth=[redacted]",
    );
    expect(redactUrl(`/copilot/ws?auth=${jwt}&URLToken=${token}`)).toBe(
      "/copilot/ws?auth=[redacted]&URLToken=[redacted]",
    );
  });

  it("recognises encoded and differently cased parameter names", () => {
    expect(redactUrl(`/copilot/ws?URL%54oken=${token}&AUTH=${jwt}&urltoken=${other}`)).toBe(
      "/copilot/ws?URL%54oken=[redacted]&AUTH=[redacted]&urltoken=[redacted]",
    );
    expect(redactUrl(`/x?URLToken=${encodeURIComponent(token + "/")}`)).toBe("/x?URLToken=[redacted]");
  });

  it("redacts several tokens in one URL, in the path, the query and the fragment of an absolute URL", () => {
    expect(
      redactUrl(
        `https://baton.example:8443/endpoints/${token}/ws?URLToken=${other}&token=${other}#auth=${jwt}`,
      ),
    ).toBe(
      "https://baton.example:8443/endpoints/[redacted]/ws?URLToken=[redacted]&token=[redacted]#auth=[redacted]",
    );
  });

  it("leaves long hex outside token positions, and URLs without tokens, as they are", () => {
    const plain = [
      `/handover/eightByEight/${token}`,
      `/copilot/assets/index-${other}.js`,
      `/?endpoint=${token}`,
      "/healthz",
      "/",
      "",
      "/endpoints",
      "/endpoints/",
      `/copilot/?userId=${token}&sessionId=${other}`,
      "/x?flag&auth",
    ];
    for (const url of plain) expect(redactUrl(url)).toBe(url);
  });
});

describe("URLs in log lines", () => {
  it("keeps the route of url, path and link fields and censors the secrets in them", () => {
    const { lines, logger } = capture();
    logger.info({ url: `/inject/${token}` }, "top level");
    logger.info({ details: { path: `/endpoints/${token}/nope` } }, "nested path");
    logger.info({ link: `http://h/copilot/?URLToken=${token}&auth=${jwt}` }, "link");
    logger.info({ req: { url: `/copilot/ws?auth=${jwt}` } }, "req");
    const output = lines.join("\n");
    expect(output).not.toContain(token);
    expect(output).not.toContain(jwt);
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { url: "/inject/[redacted]" },
      { details: { path: "/endpoints/[redacted]/nope" } },
      { link: "http://h/copilot/?URLToken=[redacted]&auth=[redacted]" },
      { req: { url: "/copilot/ws?auth=[redacted]" } },
    ]);
  });

  it("redacts URLs inside messages", () => {
    const { lines, logger } = capture();
    logger.info(`Route GET:/endpoints/${token}/unknown not found`);
    logger.warn({ n: 1 }, `could not reach https://h.example/notify/${token}?auth=${jwt}: timeout`);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      "Route GET:/endpoints/[redacted]/unknown not found",
      "could not reach https://h.example/notify/[redacted]?auth=[redacted]: timeout",
    ]);
  });

  it("redacts the request line Fastify writes for every request", async () => {
    const { lines, logger } = capture();
    const app = Fastify({ loggerInstance: logger });
    app.get("/endpoints/:urlToken/ws", () => ({ ok: true }));
    app.get("/copilot/ws", () => ({ ok: true }));
    await app.inject({ method: "GET", url: `/endpoints/${token}/ws` });
    await app.inject({ method: "GET", url: `/copilot/ws?userId=u1&URLToken=${token}&auth=${jwt}` });
    await app.inject({ method: "GET", url: `/endpoints/${other}/unknown` });
    await app.close();
    const output = lines.join("\n");
    expect(output).not.toContain(token);
    expect(output).not.toContain(other);
    expect(output).not.toContain(jwt);
    const urls = lines
      .map((line) => JSON.parse(line) as { req?: { url?: string } })
      .flatMap((entry) => (entry.req?.url === undefined ? [] : [entry.req.url]));
    expect(urls).toEqual([
      "/endpoints/[redacted]/ws",
      "/copilot/ws?userId=u1&URLToken=[redacted]&auth=[redacted]",
      "/endpoints/[redacted]/unknown",
    ]);
  });
});
