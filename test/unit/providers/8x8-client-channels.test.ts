import { afterEach, describe, expect, it } from "vitest";
import { createTestClient, type TestClient } from "../../factories/chat-gateway-test-client.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

const stub = useStubHttpServer();
let harness: TestClient;
afterEach(() => harness.client.close());

function channels() {
  harness = createTestClient(stub.url);
  return harness.client.channels;
}

const channel = {
  id: "25",
  name: "Baton",
  type: "ChatAPI",
  webHookId: "12",
  routingOptions: { type: "queue", id: "311" },
};

describe("channels", () => {
  it("creates a ChatAPI channel bound to a webhook and a queue", async () => {
    stub.enqueue({ status: 200, body: channel });
    const created = await channels().create({
      name: "Baton",
      webHookId: "12",
      routingOptions: { id: "311" },
    });
    expect(created).toEqual(channel);
    const [request] = stub.requests;
    expect(`${request?.method} ${request?.path}`).toBe("POST /chat-gateway/v1/channels");
    expect(request?.json()).toEqual({
      name: "Baton",
      webHookId: "12",
      routingOptions: { type: "queue", id: "311" },
      type: "ChatAPI",
    });
  });

  it("lists, gets, updates and deletes", async () => {
    stub.enqueue(
      {
        body: {
          _embedded: { channels: [channel, { id: 7, name: "Web", type: "WebChat" }] },
          page: { totalPages: 1 },
        },
      },
      { body: channel },
      { body: { ...channel, name: "Renamed" } },
      { status: 204 },
    );
    const api = channels();
    const page = await api.list({ size: 50 });
    expect(page.items.map((c) => [c.id, c.type])).toEqual([
      ["25", "ChatAPI"],
      ["7", "WebChat"],
    ]);
    expect(await api.get("25")).toEqual(channel);
    const updated = await api.update("25", {
      name: "Renamed",
      webHookId: "12",
      routingOptions: { id: "311" },
    });
    expect(updated.name).toBe("Renamed");
    await api.delete("25");
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /chat-gateway/v1/channels",
      "GET /chat-gateway/v1/channels/25",
      "PUT /chat-gateway/v1/channels/25",
      "DELETE /chat-gateway/v1/channels/25",
    ]);
    expect(stub.requests[0]?.query.get("size")).toBe("50");
  });

  it("listAll stops after the last page", async () => {
    stub.handle((request) => {
      const number = Number(request.query.get("page"));
      return {
        body: {
          _embedded: { channels: [{ ...channel, id: `c${number}` }] },
          page: { number, totalPages: 2 },
        },
      };
    });
    const ids: string[] = [];
    for await (const item of channels().listAll()) ids.push(item.id);
    expect(ids).toEqual(["c0", "c1"]);
  });

  it("takes a list without page info as the only page", async () => {
    stub.handle(() => ({ body: { _embedded: { channels: [channel] } } }));
    const ids: string[] = [];
    for await (const item of channels().listAll()) ids.push(item.id);
    expect(ids).toEqual(["25"]);
    expect(stub.requests).toHaveLength(1);
  });
});
