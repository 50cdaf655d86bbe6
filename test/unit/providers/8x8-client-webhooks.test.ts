import { afterEach, describe, expect, it } from "vitest";
import { createTestClient, testApiKey, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

function client(tenant?: string) {
  harness = createTestClient(stub.url, tenant === undefined ? {} : { tenant });
  return harness.client;
}

const webhook = {
  id: "12",
  name: "baton",
  uri: "https://baton.example/handover/eightByEight",
  version: "Chat Gateway v1.0",
};

describe("webhooks", () => {
  it("lists one page with paging params and parses the HAL body", async () => {
    stub.enqueue({
      body: {
        _embedded: { webhooks: [webhook] },
        _links: { self: { href: "x" } },
        page: { size: 20, number: 0, totalElements: 1, totalPages: 1 },
      },
    });
    const page = await client().webhooks.list({ page: 0, size: 20, sort: "id:asc", filter: "name==baton" });
    expect(page).toEqual({
      items: [webhook],
      page: { size: 20, number: 0, totalElements: 1, totalPages: 1 },
    });
    const [request] = stub.requests;
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe("/chat-gateway/v1/webhooks");
    expect(Object.fromEntries(request!.query)).toEqual({
      page: "0",
      size: "20",
      sort: "id:asc",
      filter: "name==baton",
    });
    expect(request?.headers["x-api-key"]).toBe(testApiKey);
  });

  it("reads an empty page without _embedded as no items", async () => {
    stub.enqueue({ body: { page: { size: 20, number: 0, totalElements: 0, totalPages: 0 } } });
    const page = await client().webhooks.list();
    expect(page.items).toEqual([]);
  });

  it("turns a numeric id into a string", async () => {
    stub.enqueue({ body: { ...webhook, id: 25 } });
    expect((await client().webhooks.get("25")).id).toBe("25");
  });

  it("listAll follows page.totalPages", async () => {
    stub.handle((request) => {
      const number = Number(request.query.get("page"));
      return {
        body: {
          _embedded: { webhooks: [{ ...webhook, id: `w${number}` }] },
          page: { size: 1, number, totalElements: 3, totalPages: 3 },
        },
      };
    });
    const ids: string[] = [];
    for await (const item of client().webhooks.listAll({ size: 1 })) ids.push(item.id);
    expect(ids).toEqual(["w0", "w1", "w2"]);
    expect(stub.requests.map((r) => r.query.get("page"))).toEqual(["0", "1", "2"]);
  });

  it("creates with both version and notificationVersion (the spec requires one, defines the other)", async () => {
    stub.enqueue({ status: 200, body: webhook });
    const created = await client().webhooks.create({ name: "baton", uri: webhook.uri });
    expect(created).toEqual(webhook);
    const [request] = stub.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/chat-gateway/v1/webhooks");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.json()).toEqual({
      name: "baton",
      uri: webhook.uri,
      version: "Chat Gateway v1.0",
      notificationVersion: "Chat Gateway v1.0",
    });
  });

  it("gets, updates with PUT and deletes", async () => {
    stub.enqueue({ body: webhook }, { body: { ...webhook, name: "renamed" } }, { status: 204 });
    const api = client().webhooks;
    expect(await api.get("12")).toEqual(webhook);
    expect((await api.update("12", { name: "renamed", uri: webhook.uri })).name).toBe("renamed");
    await expect(api.delete("12")).resolves.toBeUndefined();
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /chat-gateway/v1/webhooks/12",
      "PUT /chat-gateway/v1/webhooks/12",
      "DELETE /chat-gateway/v1/webhooks/12",
    ]);
    expect(stub.requests[1]?.json()).toMatchObject({
      name: "renamed",
      notificationVersion: "Chat Gateway v1.0",
    });
    expect(stub.requests[2]?.body.length).toBe(0);
  });

  it("verifies a URI with the v1 version by default (204)", async () => {
    stub.enqueue({ status: 204 });
    await client().webhooks.verify({ uri: "https://baton.example/hook" });
    const [request] = stub.requests;
    expect(`${request?.method} ${request?.path}`).toBe("POST /chat-gateway/v1/webhooks/verify");
    expect(request?.json()).toEqual({ version: "Chat Gateway v1.0", uri: "https://baton.example/hook" });
  });

  it("URL-encodes path segments", async () => {
    stub.enqueue({ body: webhook });
    await client().webhooks.get("a/b?c#d");
    expect(stub.requests[0]?.path).toBe("/chat-gateway/v1/webhooks/a%2Fb%3Fc%23d");
  });
});

describe("jwk", () => {
  const jwk = { kty: "RSA", e: "AQAB", kid: "EXaiWfZe20eSjklZ70074w", n: "obq8u-Yq9ksUvw" };

  it("fetches the public key without x-api-key but with the tenant", async () => {
    stub.enqueue({ body: jwk, headers: { "content-type": "application/json" } });
    const key = await client("acme01").jwk.getPublicJwk("EXaiWfZe20eSjklZ70074w");
    expect(key).toEqual(jwk);
    const [request] = stub.requests;
    expect(request?.path).toBe("/chat-gateway/v1/jwk/EXaiWfZe20eSjklZ70074w/public");
    expect(request?.headers["x-api-key"]).toBeUndefined();
    expect(request?.headers["x-8x8-tenant"]).toBe("acme01");
  });

  it("keeps unknown JWK members", async () => {
    stub.enqueue({ body: { ...jwk, alg: "RS256", use: "sig" } });
    expect(await client().jwk.getPublicJwk("k")).toMatchObject({ alg: "RS256", use: "sig" });
  });

  it("builds key URLs from the default or a configured template", async () => {
    harness = createTestClient(`${stub.url}/`);
    expect(harness.client.jwkUrl("k/1")).toBe(`${stub.url}/chat-gateway/v1/jwk/k%2F1/public`);
    await harness.client.close();
    harness = createTestClient(stub.url, { jwkUrlTemplate: "{baseUrl}/vcc/us/chat/v2/jwk/{kid}/public" });
    expect(harness.client.jwkUrl("key1")).toBe(`${stub.url}/vcc/us/chat/v2/jwk/key1/public`);
  });

  it("fetches from the templated URL", async () => {
    harness = createTestClient(stub.url, { jwkUrlTemplate: "{baseUrl}/vcc/us/chat/v2/jwk/{kid}/public" });
    stub.enqueue({ body: jwk });
    await harness.client.jwk.getPublicJwk("key1");
    expect(stub.requests[0]?.path).toBe("/vcc/us/chat/v2/jwk/key1/public");
  });
});
