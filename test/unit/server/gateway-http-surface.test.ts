import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/index.ts";
import { createGateway, type Gateway } from "../../../src/index.ts";
import { createSilentLogger } from "../../../src/telemetry/logger.ts";

function configWith(providers: Record<string, unknown>) {
  const result = validateConfig(
    { store: "pglite://memory", server: { bodyLimit: 2048 }, providers },
    { env: {} },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result;
}
const eight = (port: number) => ({ type: "8x8", baseUrl: `http://127.0.0.1:${port}`, apiKey: "test-key" });

async function call(
  url: string,
  init: { method?: "GET" | "POST"; body?: string; headers?: Record<string, string> } = {},
) {
  const response = await request(url, {
    method: init.method ?? "GET",
    body: init.body,
    headers: init.headers,
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as { error?: Record<string, unknown> },
  };
}

describe("gateway HTTP surface with one 8x8 provider", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await createGateway(configWith({ eight: eight(9) }), {
      port: 0,
      host: "127.0.0.1",
      logger: createSilentLogger(),
    });
  });
  afterAll(() => gateway.close());

  it("answers /healthz and /readyz while the store answers", async () => {
    expect((await call(`${gateway.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await call(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", checks: { store: "ok", bus: "ok" } });
  });

  it("serves Prometheus metrics including the webhook and provider-call families", async () => {
    await call(`${gateway.url}/handover/eightByEight/eight`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    const metrics = await call(`${gateway.url}/metrics`);
    expect(metrics.headers["content-type"]).toContain("text/plain");
    expect(metrics.text).toContain("# TYPE baton_webhook_events_total counter");
    expect(metrics.text).toContain(
      'baton_webhook_events_total{provider="eight",type="unknown",outcome="rejected_signature"} 1',
    );
    expect(metrics.text).toContain("# TYPE baton_provider_call_seconds histogram");
  });

  it("answers an unknown route with a catalog error body", async () => {
    const response = await call(`${gateway.url}/nope?token=secret`);
    expect(response.status).toBe(404);
    expect(response.json().error).toMatchObject({ code: "BATON_ERR_HTTP_NOT_FOUND", path: "/nope" });
    expect(response.text).not.toContain("secret");
  });

  it("rejects an unsigned event on both webhook routes with 401 and a catalog code", async () => {
    for (const path of ["/handover/eightByEight", "/handover/eightByEight/eight"]) {
      const response = await call(`${gateway.url}${path}`, {
        method: "POST",
        body: '{"eventType":"MESSAGE","conversationId":"c1","timestamp":1}',
        headers: { "content-type": "application/json" },
      });
      expect(response.status, path).toBe(401);
      expect(response.json().error?.code).toBe("BATON_ERR_WEBHOOK_SIGNATURE_MISSING");
    }
  });

  it("answers WEB_HOOK_VERIFY with 204 whatever its content type", async () => {
    const response = await call(`${gateway.url}/handover/eightByEight/eight`, {
      method: "POST",
      body: '{"notificationVersion":"Chat Gateway v1.0","eventType":"WEB_HOOK_VERIFY"}',
      headers: { "content-type": "text/plain" },
    });
    expect(response.status).toBe(204);
  });

  it("answers an unknown provider id with 404 BATON_ERR_PROVIDER_UNKNOWN", async () => {
    const response = await call(`${gateway.url}/handover/eightByEight/genesys`, {
      method: "POST",
      body: "{}",
    });
    expect(response.status).toBe(404);
    expect(response.json().error).toMatchObject({ code: "BATON_ERR_PROVIDER_UNKNOWN", field: "providerId" });
  });

  it("refuses a body over server.bodyLimit with 413", async () => {
    const response = await call(`${gateway.url}/handover/eightByEight/eight`, {
      method: "POST",
      body: "x".repeat(4096),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(413);
    expect(response.json().error?.code).toBe("BATON_ERR_HTTP_BODY_TOO_LARGE");
  });
});

describe("gateway HTTP surface with two 8x8 providers", () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await createGateway(configWith({ a: eight(9), b: eight(10) }), {
      port: 0,
      host: "127.0.0.1",
      logger: createSilentLogger(),
    });
  });
  afterAll(() => gateway.close());

  it("asks for a provider id on the bare webhook route", async () => {
    const response = await call(`${gateway.url}/handover/eightByEight`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(response.json().error).toMatchObject({
      code: "BATON_ERR_PROVIDER_AMBIGUOUS",
      providers: ["a", "b"],
    });
  });

  it("reports not ready once the store stops answering", async () => {
    await gateway.store.close();
    const ready = await call(`${gateway.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toEqual({ status: "not_ready", checks: { store: "unavailable", bus: "ok" } });
  });
});
