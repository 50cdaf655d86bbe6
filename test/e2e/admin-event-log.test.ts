import { request } from "undici";
import { describe, expect, it } from "vitest";
import { adminOpenApi } from "../../src/server/routes/admin-openapi.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

const adminKey = "admin-key-0123456789abcdef-0123456789";

interface WireEvent {
  id: number;
  direction: "in" | "out";
  type: string;
  conversationId: string | null;
  handoverId: string | null;
  sessionId: string | null;
  eventId: string | null;
  status: string;
  outcome: string;
  attempt: number;
  hasBody: boolean;
  replayable: boolean;
  replayOf: number | null;
  body?: string | null;
  [key: string]: unknown;
}

async function call(
  base: string,
  path: string,
  init: { method?: "GET" | "POST"; bearer?: string; body?: unknown } = {},
) {
  const response = await request(`${base}${path}`, {
    method: init.method ?? "GET",
    headers: {
      ...(init.bearer !== undefined ? { authorization: `Bearer ${init.bearer}` } : {}),
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json: <T = Record<string, unknown>>() => JSON.parse(text) as T,
  };
}

const admin = (base: string, path: string, init: { method?: "GET" | "POST"; body?: unknown } = {}) =>
  call(base, path, { ...init, bearer: adminKey });

async function events(base: string, query: string): Promise<WireEvent[]> {
  const answer = await admin(base, `/api/v1/events?${query}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json<{ events: WireEvent[] }>().events;
}

describe("the admin API's key", { timeout: 60_000 }, () => {
  it("is off without server.adminKey: 403 saying how to enable it, for every route; the page still loads", async () => {
    const { gateway } = await startEmbedded();
    for (const path of ["/api/v1/events", "/api/v1/events/1", "/api/v1/openapi.json"]) {
      const answer = await call(gateway.url, path, { bearer: adminKey });
      expect(answer.status).toBe(403);
      expect(answer.json()).toMatchObject({
        error: { code: "BATON_ERR_ADMIN_NOT_ENABLED", field: "server.adminKey" },
      });
      expect(answer.text).toContain("set server.adminKey");
    }
    const replay = await call(gateway.url, "/api/v1/events/1/replay", {
      method: "POST",
      body: { force: true },
    });
    expect(replay.json()).toMatchObject({ error: { code: "BATON_ERR_ADMIN_NOT_ENABLED" } });
    const page = await call(gateway.url, "/admin/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["content-security-policy"]).toBe(
      "default-src 'none';script-src 'self';style-src 'self';connect-src 'self';img-src 'self' data: https:;form-action 'none';base-uri 'none';object-src 'none';frame-ancestors 'none'",
    );
    for (const asset of ["/admin/assets/admin.js", "/admin/assets/admin.css"]) {
      const answer = await call(gateway.url, asset);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    }
    expect((await call(gateway.url, "/admin")).headers.location).toBe("/admin/");
  });

  it("with a key: no bearer or a wrong one is 401 and reads nothing; the key opens it; calls are rate limited per address", async () => {
    const { gateway } = await startEmbedded({ server: { adminKey, limits: { tokenRoutesPerMinute: 5 } } });
    const none = await call(gateway.url, "/api/v1/events");
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe("Bearer");
    expect(none.json()).toMatchObject({
      error: {
        code: "BATON_ERR_ADMIN_UNAUTHORIZED",
        field: "authorization",
        expected: "Bearer <server.adminKey>",
      },
    });
    const wrong = await call(gateway.url, "/api/v1/events", { bearer: `${adminKey}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain(adminKey);
    // A refused replay is refused before its body is read: even a broken body gets the 401.
    const brokenBody = await request(`${gateway.url}/api/v1/events/1/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(brokenBody.statusCode).toBe(401);
    await brokenBody.body.dump();

    const right = await admin(gateway.url, "/api/v1/events");
    expect(right.status).toBe(200);
    expect(right.headers["cache-control"]).toBe("no-store");
    expect(right.json()).toEqual({ events: expect.any(Array), nextCursor: null });
    // Limits count per route and address, refused calls too: three of this route so far, two more make
    // the five a minute allows, the sixth is refused.
    await admin(gateway.url, "/api/v1/events");
    await admin(gateway.url, "/api/v1/events");
    const limited = await admin(gateway.url, "/api/v1/events");
    expect(limited.status).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: "BATON_ERR_HTTP_RATE_LIMITED" } });
  });

  it("answers bad queries and ids with 400 naming the field, unknown ids with 404", async () => {
    const { gateway } = await startEmbedded({ server: { adminKey } });
    const bad = await admin(gateway.url, "/api/v1/events?status=fine&limit=5");
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: "BATON_ERR_HTTP_BAD_REQUEST", field: "status" } });
    const repeated = await admin(gateway.url, "/api/v1/events?direction=in&direction=out");
    expect(repeated.json()).toMatchObject({ error: { field: "direction", expected: "a single value" } });
    const id = await admin(gateway.url, "/api/v1/events/abc");
    expect(id.json()).toMatchObject({ error: { code: "BATON_ERR_HTTP_BAD_REQUEST", field: "id" } });
    const missing = await admin(gateway.url, "/api/v1/events/987654");
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: "BATON_ERR_EVENT_NOT_FOUND" } });
    const replayBody = await admin(gateway.url, "/api/v1/events/987654/replay", {
      method: "POST",
      body: { force: "yes" },
    });
    expect(replayBody.json()).toMatchObject({
      error: { code: "BATON_ERR_HTTP_BAD_REQUEST", field: "force" },
    });
  });
});

describe("the event log of a handover round trip", { timeout: 60_000 }, () => {
  it("lists the create call, the sends and the webhooks with their statuses; replays a stored agent message (duplicate without force, delivered again with it)", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({ server: { adminKey } });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "lea", sessionId: "s-event-log" });
    await chat.waitForMessage((m) => m.source === "bot");
    const conversation = await reachAgent(chat, agent, "lea");
    await agent.say(conversation.id, "Hello, I'm Anna.");
    await chat.waitForMessage(says("agent", "Hello, I'm Anna."));
    await chat.say("My invoice is wrong");
    await waitFor(
      async () => (await agent.transcript(conversation.id)).some((m) => m.text === "My invoice is wrong"),
      10_000,
      "the user's message at the agent",
    );
    await gateway.eventLog.flush();

    const log = await waitFor(
      async () => {
        const listed = await events(gateway.url, `conversationId=${conversation.id}&limit=200`);
        return listed.some((e) => e.type === "MESSAGE") ? listed : undefined;
      },
      10_000,
      "the agent's MESSAGE in the log",
    );
    const handover = await gateway.store.handovers.findByProviderConversation("eight", conversation.id);
    // Every entry of the conversation names Baton's handover and session, the create call's included.
    for (const e of log) expect([e.handoverId, e.sessionId]).toEqual([handover!.id, handover!.sessionId]);
    const outbound = log.filter((e) => e.direction === "out");
    const create = outbound.find((e) => e.type === "conversations.create");
    expect(create?.status).toMatch(/^2\d\d$/);
    expect(create).toMatchObject({
      outcome: "ok",
      attempt: 1,
      method: "POST",
      hasBody: false,
    });
    const sends = outbound.filter((e) => e.type === "messages.send");
    expect(sends.length).toBeGreaterThanOrEqual(1);
    for (const send of sends)
      expect(send).toMatchObject({ outcome: "ok", path: expect.stringContaining(conversation.id) });
    expect(sends.every((s) => /^2\d\d$/.test(s.status))).toBe(true);
    const inbound = log.filter((e) => e.direction === "in");
    expect(inbound.map((e) => e.type)).toEqual(
      expect.arrayContaining(["CONVERSATION_UPDATE", "MEMBERS_CHANGED", "MESSAGE"]),
    );
    for (const e of inbound) {
      expect(e.status).toBe("200");
      expect(["accepted", "ignored", "duplicate"]).toContain(e.outcome);
      expect(e.replayable).toBe(true);
    }
    // Newest first.
    const times = log.map((e) => String(e.at));
    expect([...times].sort().reverse()).toEqual(times);

    // The agent's message, with its stored body.
    const agentMessage = await waitFor(
      async () => {
        for (const e of inbound.filter((x) => x.type === "MESSAGE")) {
          const detail = (await admin(gateway.url, `/api/v1/events/${e.id}`)).json<WireEvent>();
          if (detail.body?.includes("Hello, I'm Anna.") === true) return detail;
        }
        return undefined;
      },
      5_000,
      "the agent message's entry",
    );
    expect(JSON.parse(agentMessage.body!)).toMatchObject({
      eventType: "MESSAGE",
      conversationId: conversation.id,
    });
    const shownBefore = chat.messages().filter((m) => m.text === "Hello, I'm Anna.").length;
    expect(shownBefore).toBe(1);

    const duplicate = await admin(gateway.url, `/api/v1/events/${agentMessage.id}/replay`, {
      method: "POST",
    });
    expect(duplicate.status, duplicate.text).toBe(200);
    expect(duplicate.json()).toEqual({
      outcome: "duplicate",
      eventType: "MESSAGE",
      eventId: agentMessage.eventId,
      replayOf: agentMessage.id,
      force: false,
    });

    const forced = await admin(gateway.url, `/api/v1/events/${agentMessage.id}/replay`, {
      method: "POST",
      body: { force: true },
    });
    expect(forced.status, forced.text).toBe(200);
    const result = forced.json<{ outcome: string; eventId: string }>();
    expect(result).toMatchObject({
      outcome: "accepted",
      eventType: "MESSAGE",
      replayOf: agentMessage.id,
      force: true,
    });
    expect(result.eventId).toMatch(new RegExp(`^${agentMessage.eventId}:replay:`));
    // The OpenAPI description names exactly what the answers hold.
    const schemas = adminOpenApi(gateway.url).components.schemas;
    expect(Object.keys(result).sort()).toEqual(Object.keys(schemas.ReplayResult.properties).sort());
    expect(Object.keys(agentMessage).sort()).toEqual(
      [...Object.keys(schemas.Event.properties), "body"].sort(),
    );
    await waitFor(
      () => chat.messages().filter((m) => m.text === "Hello, I'm Anna.").length === 2,
      10_000,
      "the agent message shown again",
    );
    // Only the forced replay reached the user: the duplicate answer did not.
    expect(chat.messages().filter((m) => m.text === "Hello, I'm Anna.")).toHaveLength(2);

    // Both replays are in the log, pointing at the entry they replayed.
    await gateway.eventLog.flush();
    const replays = (await events(gateway.url, `conversationId=${conversation.id}&type=MESSAGE`)).filter(
      (e) => e.replayOf === agentMessage.id,
    );
    expect(replays.map((e) => e.outcome).sort()).toEqual(["accepted", "duplicate"]);

    // An outbound call cannot be replayed.
    const refused = await admin(gateway.url, `/api/v1/events/${create!.id}/replay`, {
      method: "POST",
      body: {},
    });
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({
      error: { code: "BATON_ERR_EVENT_NOT_REPLAYABLE", reason: expect.stringContaining("outbound") },
    });
  });

  it("filters by direction, type and status, and pages newest first without gaps", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({ server: { adminKey } });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "max", sessionId: "s-event-pages" });
    await chat.waitForMessage((m) => m.source === "bot");
    const conversation = await reachAgent(chat, agent, "max");
    for (const text of ["one", "two", "three"]) await agent.say(conversation.id, text);
    await chat.waitForMessage(says("agent", "three"));
    await gateway.eventLog.flush();
    await waitFor(
      async () => (await events(gateway.url, "direction=in&type=MESSAGE")).length >= 3,
      10_000,
      "three agent messages in the log",
    );

    const all = await events(gateway.url, "limit=200");
    expect(all.every((e) => ["in", "out"].includes(e.direction))).toBe(true);
    expect((await events(gateway.url, "direction=out")).every((e) => e.direction === "out")).toBe(true);
    expect((await events(gateway.url, "status=2xx")).every((e) => e.status.startsWith("2"))).toBe(true);
    expect((await events(gateway.url, "type=conversations.create")).map((e) => e.type)).toEqual([
      "conversations.create",
    ]);

    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const answer = await admin(
        gateway.url,
        `/api/v1/events?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      const page = answer.json<{ events: WireEvent[]; nextCursor: string | null }>();
      paged.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor !== null && paged.length < 500);
    // Later entries may have arrived meanwhile: every entry of the first full listing is on some page, once.
    expect(new Set(paged).size).toBe(paged.length);
    expect(paged).toEqual(expect.arrayContaining(all.map((e) => e.id)));
  });
});

describe("the admin API's OpenAPI description", { timeout: 60_000 }, () => {
  it("describes every admin route and exactly the fields an entry has", async () => {
    const { gateway } = await startEmbedded({ server: { adminKey } });
    const answer = await admin(gateway.url, "/api/v1/openapi.json");
    expect(answer.status).toBe(200);
    const doc = answer.json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: { Event: { properties: Record<string, unknown> } } };
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/v1/events",
      "/api/v1/events/{id}",
      "/api/v1/events/{id}/replay",
      "/api/v1/openapi.json",
    ]);
    expect(Object.keys(doc.paths["/api/v1/events/{id}/replay"]!)).toEqual(["post"]);
    // A webhook that reaches the gateway makes one entry to compare with.
    await request(`${gateway.url}/handover/eightByEight/eight`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"eventType":"MESSAGE"}',
    }).then((r) => r.body.dump());
    await gateway.eventLog.flush();
    const [entry] = await events(gateway.url, "limit=1");
    expect(entry).toMatchObject({
      direction: "in",
      status: "401",
      outcome: "rejected_signature",
      hasBody: false,
    });
    expect(Object.keys(entry!).sort()).toEqual(Object.keys(doc.components.schemas.Event.properties).sort());
  });
});
