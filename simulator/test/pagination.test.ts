import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.ts";
import { api, createChannel, createConversation } from "./support/gateway-client.ts";
import { useFreshSimulator } from "./support/fresh-simulator.ts";
import type { WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator;
let receiver: WebhookReceiver;
useFreshSimulator((fresh) => ({ sim, receiver } = fresh));

type Page<T> = {
  _embedded?: Record<string, T[]>;
  _links?: { self: { href: string } };
  page: { size: number; number: number; totalElements: number; totalPages: number };
};

describe("HAL list pagination", () => {
  it("pages conversations with page/size, a self link and page totals until page.number + 1 = totalPages", async () => {
    const channelId = await createChannel(sim, receiver);
    const created = new Set<string>();
    for (let i = 0; i < 5; i++) created.add(await createConversation(sim, channelId));

    const seen: string[] = [];
    for (let page = 0; ; page++) {
      const result = await api<Page<{ id: string }>>(sim, "GET", `/conversations?page=${page}&size=2`);
      expect(result.status).toBe(200);
      expect(result.contentType).toBe("application/hal+json");
      expect(result.body.page).toEqual({ size: 2, number: page, totalElements: 5, totalPages: 3 });
      expect(result.body._links?.self.href).toBe(
        `${sim.url}/chat-gateway/v1/conversations?page=${page}&size=2`,
      );
      seen.push(...(result.body._embedded?.["conversations"] ?? []).map((c) => c.id));
      if (result.body.page.number + 1 >= result.body.page.totalPages) break;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(created);
    expect([...seen].sort()).toEqual(seen); // default sort id:asc
  });

  it("leaves _embedded out of an empty page and defaults to page 0 size 20", async () => {
    const result = await api<Page<unknown>>(sim, "GET", "/webhooks");
    expect(result.body).toEqual({
      _links: { self: { href: `${sim.url}/chat-gateway/v1/webhooks` } },
      page: { size: 20, number: 0, totalElements: 0, totalPages: 0 },
    });
  });

  it("sorts messages by createdAt descending by default and ascending on request", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    for (const text of ["one", "two", "three"]) {
      await api(sim, "POST", `/conversations/${id}/messages`, { authorType: "user", text });
    }
    const desc = await api<Page<{ text: string }>>(sim, "GET", `/conversations/${id}/messages`);
    expect(desc.body._embedded?.["messages"]?.map((m) => m.text)).toEqual(["three", "two", "one"]);
    expect(desc.body).not.toHaveProperty("_links");
    const asc = await api<Page<{ text: string }>>(
      sim,
      "GET",
      `/conversations/${id}/messages?sort=createdAt:asc&size=2&page=1`,
    );
    expect(asc.body._embedded?.["messages"]?.map((m) => m.text)).toEqual(["three"]);
    expect(asc.body.page).toEqual({ size: 2, number: 1, totalElements: 3, totalPages: 2 });

    const message = desc.body._embedded?.["messages"]?.[0] as { id: string } | undefined;
    const single = await api(sim, "GET", `/conversations/${id}/messages/${message?.id ?? ""}`);
    expect(single.body).toMatchObject({
      text: "three",
      author: { type: "user", id: "user", removed: false },
    });
  });

  it("rejects bad paging and sort parameters with GenericExceptionPayload", async () => {
    for (const query of ["page=-1", "size=0", "size=abc", "sort=nope:asc"]) {
      const result = await api<{ errors: Array<{ code: string }> }>(sim, "GET", `/webhooks?${query}`);
      expect(result.status).toBe(400);
      expect(result.body.errors[0]?.code).toBe("invalid_parameter");
    }
  });

  it("filters with a FIQL equality expression", async () => {
    for (const name of ["alpha", "beta", "gamma"]) {
      await api(sim, "POST", "/webhooks", { name, uri: receiver.url, version: "Chat Gateway v1.0" });
    }
    const result = await api<Page<{ name: string }>>(
      sim,
      "GET",
      `/webhooks?filter=${encodeURIComponent("name==alpha,name==gamma")}`,
    );
    expect(result.body._embedded?.["webhooks"]?.map((w) => w.name).sort()).toEqual(["alpha", "gamma"]);
  });
});
