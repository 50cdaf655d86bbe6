import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isBatonError } from "../../src/errors/index.ts";
import type { WorkspaceRecord } from "../../src/copilot/workspace-record.ts";
import { initialState, type HandoverMachineState } from "../../src/handover/machine/index.ts";
import type { HandoverRequest, HandoverState } from "../../src/handover/types.ts";
import type { NewHandover, NewWebhookEvent, Store, StoredSession } from "../../src/store/types.ts";

let counter = 0;
export function webhookEvent(overrides: Partial<NewWebhookEvent> = {}): NewWebhookEvent {
  counter += 1;
  return {
    providerId: "eight",
    eventId: `evt-${counter}-${Math.random().toString(16).slice(2)}`,
    eventType: "MESSAGE",
    conversationId: "conv-1",
    eventTimestamp: 1_767_225_600_000 + counter,
    retry: 0,
    body: '{"eventType":"MESSAGE"}',
    ...overrides,
  };
}

export const handoverRequest: HandoverRequest = {
  providerId: "eight",
  provider: { queueId: "q-1", jsonProperties: { plan: "gold" } },
  repeatAcceptedMessage: false,
  onResolve: "belowNode",
  sendQueueEvent: true,
  sendActiveEvent: true,
  sendResolveEvent: true,
  transcript: { mode: "last", count: 10 },
};

/** Far enough ahead that everything earlier tests left pending or leased is due and unleased. */
const farFuture = new Date("3000-01-01T00:00:00Z");

/**
 * The behaviour every Store implementation must have, written once for all. Run against PGlite in `npm test`
 * and against PostgreSQL in the services suite; each run gets a fresh database or schema from `open`.
 */
export function runStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    // One database per suite (starting PGlite costs seconds); every test works under its own provider id,
    // so tests cannot see each other's rows.
    let provider = "";

    beforeAll(async () => {
      store = await open();
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
    });
    beforeEach(() => {
      counter += 1;
      provider = `provider-${counter}`;
    });
    const event = (overrides: Partial<NewWebhookEvent> = {}) =>
      webhookEvent({ providerId: provider, ...overrides });

    it("migrates idempotently: a second run applies nothing", async () => {
      expect(await store.migrate()).toEqual({ applied: [] });
    });

    it("answers a ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("records a webhook event once and counts later deliveries as duplicates", async () => {
      const e = event();
      const first = await store.webhookEvents.recordIfNew(e);
      const second = await store.webhookEvents.recordIfNew({ ...e, retry: 1 });
      expect(first.inserted).toBe(true);
      expect(second).toEqual({ inserted: false, seq: first.seq });
      const stored = await store.webhookEvents.find(e.providerId, e.eventId);
      expect(stored).toMatchObject({ ...e, status: "pending", duplicates: 1, retry: 0, processedAt: null });
      expect(stored?.receivedAt).toBeInstanceOf(Date);
    });

    it("stores exactly one of many concurrent deliveries of the same event id", async () => {
      const e = event();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, retry) => store.webhookEvents.recordIfNew({ ...e, retry })),
      );
      expect(results.filter((r) => r.inserted)).toHaveLength(1);
      expect((await store.webhookEvents.find(e.providerId, e.eventId))?.duplicates).toBe(7);
    });

    it("keeps the same event id of different providers apart", async () => {
      const e = event();
      expect((await store.webhookEvents.recordIfNew(e)).inserted).toBe(true);
      expect(
        (await store.webhookEvents.recordIfNew({ ...e, providerId: `${provider}-other` })).inserted,
      ).toBe(true);
    });

    it("lists pending events oldest first and drops them once done", async () => {
      const a = event();
      const b = event({ conversationId: "conv-2" });
      const c = event({ conversationId: null, eventType: "WEB_HOOK_VERIFY" });
      for (const e of [a, b, c]) await store.webhookEvents.recordIfNew(e);
      await store.webhookEvents.markDone(b.providerId, b.eventId, "processed");
      const pending = await store.webhookEvents.listPending(provider);
      expect(pending.map((e) => e.eventId)).toEqual([a.eventId, c.eventId]);
      expect(pending[1]?.conversationId).toBeNull();
      const done = await store.webhookEvents.find(b.providerId, b.eventId);
      expect(done?.status).toBe("processed");
      expect(done?.processedAt).toBeInstanceOf(Date);
    });

    it("keeps the error of a failed event", async () => {
      const e = event();
      await store.webhookEvents.recordIfNew(e);
      await store.webhookEvents.markDone(e.providerId, e.eventId, "failed", "handler threw");
      expect(await store.webhookEvents.find(e.providerId, e.eventId)).toMatchObject({
        status: "failed",
        error: "handler threw",
      });
    });

    it("lists events newest first, filtered by conversation and status, with a limit", async () => {
      const events = [event(), event(), event({ conversationId: "conv-9" })];
      for (const e of events) await store.webhookEvents.recordIfNew(e);
      await store.webhookEvents.markDone(provider, events[0]!.eventId, "ignored");
      const conv1 = await store.webhookEvents.list({ providerId: provider, conversationId: "conv-1" });
      expect(conv1.map((e) => e.eventId)).toEqual([events[1]!.eventId, events[0]!.eventId]);
      expect(
        (await store.webhookEvents.list({ providerId: provider, status: "ignored" })).map((e) => e.eventId),
      ).toEqual([events[0]!.eventId]);
      expect(await store.webhookEvents.list({ providerId: provider, limit: 1 })).toHaveLength(1);
    });

    it("keeps a body byte-for-byte, including non-ASCII text", async () => {
      const body = '{"eventType":"MESSAGE","data":{"text":"Grüße 👋 \\u0000"}}';
      const e = event({ body });
      await store.webhookEvents.recordIfNew(e);
      expect((await store.webhookEvents.find(e.providerId, e.eventId))?.body).toBe(body);
    });

    // ------------------------------------------------------------------------------------------------------
    // endpoints

    describe("endpoint tokens", () => {
      it("generates a 64-hex token once and returns the stored one afterwards", async () => {
        const endpoint = `${provider}-web`;
        const token = await store.endpoints.ensureToken(endpoint);
        expect(token).toMatch(/^[0-9a-f]{64}$/);
        expect(await store.endpoints.ensureToken(endpoint)).toBe(token);
        expect(await store.endpoints.findByToken(token)).toBe(endpoint);
        expect(await store.endpoints.findByToken(token.replace(/.$/, (c) => (c === "0" ? "1" : "0")))).toBe(
          undefined,
        );
        expect(await store.endpoints.findByToken("short")).toBeUndefined();
      });

      it("agrees on one token when instances start together", async () => {
        const endpoint = `${provider}-web`;
        const tokens = await Promise.all(
          Array.from({ length: 6 }, () => store.endpoints.ensureToken(endpoint)),
        );
        expect(new Set(tokens).size).toBe(1);
      });

      it("stores a configured token, replacing a generated one", async () => {
        const endpoint = `${provider}-web`;
        const generated = await store.endpoints.ensureToken(endpoint);
        const configured = `${provider}`.padEnd(64, "a");
        expect(await store.endpoints.ensureToken(endpoint, configured)).toBe(configured);
        expect(await store.endpoints.ensureToken(endpoint)).toBe(configured);
        expect(await store.endpoints.findByToken(generated)).toBeUndefined();
        expect(await store.endpoints.findByToken(configured)).toBe(endpoint);
      });

      it("refuses a configured token another endpoint already has, without naming it", async () => {
        const token = await store.endpoints.ensureToken(`${provider}-a`);
        const error: unknown = await store.endpoints
          .ensureToken(`${provider}-b`, token)
          .catch((e: unknown) => e);
        expect(isBatonError(error) && error.code).toBe("BATON_ERR_STORE_CONFLICT");
        expect(JSON.stringify(isBatonError(error) ? error.toJSON() : {})).not.toContain(token);
      });
    });

    // ------------------------------------------------------------------------------------------------------
    // sessions

    const newSession = async (sessionId = "s-1", userId = "u-1"): Promise<StoredSession> =>
      (await store.sessions.getOrCreate({ endpointId: provider, userId, sessionId, locale: "de" })).session;

    describe("sessions", () => {
      it("creates a session once and returns it afterwards", async () => {
        const first = await store.sessions.getOrCreate({ endpointId: provider, userId: "u", sessionId: "s" });
        const again = await store.sessions.getOrCreate({
          endpointId: provider,
          userId: "u",
          sessionId: "s",
          locale: "fr",
        });
        expect(first.created).toBe(true);
        expect(again).toEqual({ session: first.session, created: false });
        expect(first.session).toMatchObject({
          endpointId: provider,
          userId: "u",
          sessionId: "s",
          locale: null,
          context: {},
          flowState: null,
        });
        expect(first.session.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(await store.sessions.get(first.session.id)).toEqual(first.session);
        expect(await store.sessions.get("not-a-uuid")).toBeUndefined();
      });

      it("finds a session by its key without creating one", async () => {
        const key = { endpointId: provider, userId: "u-find", sessionId: "s-find" };
        expect(await store.sessions.find(key)).toBeUndefined();
        expect(await store.sessions.find(key)).toBeUndefined();
        const { session } = await store.sessions.getOrCreate(key);
        expect(await store.sessions.find(key)).toEqual(session);
        expect(await store.sessions.find({ ...key, userId: "u-other" })).toBeUndefined();
      });

      it("creates one session when many first messages arrive at once", async () => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () =>
            store.sessions.getOrCreate({ endpointId: provider, userId: "u", sessionId: "s" }),
          ),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.session.id)).size).toBe(1);
      });

      it("keeps sessions of other users, session ids and endpoints apart", async () => {
        const a = await newSession("s", "u1");
        const b = await newSession("s", "u2");
        const c = await newSession("t", "u1");
        const d = (
          await store.sessions.getOrCreate({ endpointId: `${provider}-x`, userId: "u1", sessionId: "s" })
        ).session;
        expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(4);
      });

      it("stores the flow's context and position", async () => {
        const session = await newSession();
        const context = { name: "Ada", answers: [1, "two", { three: true }], nested: { ü: "ß" } };
        const flowState = { entrypoint: "ask-name", waiting: "input" as const, questionNodeId: "ask-name" };
        await store.sessions.updateFlow(session.id, { context, flowState });
        const stored = await store.sessions.get(session.id);
        expect(stored).toMatchObject({ context, flowState, locale: "de" });
        expect(stored!.updatedAt.getTime()).toBeGreaterThanOrEqual(session.updatedAt.getTime());
        await store.sessions.updateFlow(session.id, { context: {}, flowState: null });
        expect(await store.sessions.get(session.id)).toMatchObject({ context: {}, flowState: null });
      });

      it("refuses to update the flow of an unknown session", async () => {
        for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) {
          const error: unknown = await store.sessions
            .updateFlow(id, { context: {}, flowState: null })
            .catch((e: unknown) => e);
          expect(isBatonError(error) && error.code).toBe("BATON_ERR_STORE_NOT_FOUND");
        }
      });

      it("lists sessions of an endpoint, most recently active first, with a limit", async () => {
        const a = await newSession("a");
        const b = await newSession("b");
        // PGlite's clock can give two statements a few ms apart the same now(); make the update clearly later.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await store.sessions.updateFlow(a.id, { context: { touched: true }, flowState: null });
        const listed = await store.sessions.list({ endpointId: provider });
        expect(listed.map((s) => s.id)).toEqual([a.id, b.id]);
        expect(await store.sessions.list({ endpointId: provider, limit: 1 })).toHaveLength(1);
      });
    });

    // ------------------------------------------------------------------------------------------------------
    // messages

    describe("messages", () => {
      it("numbers a session's messages 1, 2, 3 and keeps every field", async () => {
        const session = await newSession();
        const other = await newSession("other");
        const first = await store.messages.append(session.id, {
          direction: "in",
          source: "user",
          text: "hi",
        });
        await store.messages.append(other.id, { direction: "in", source: "user", text: "elsewhere" });
        const second = await store.messages.append(session.id, {
          direction: "out",
          source: "bot",
          text: "Pick one",
          quickReplies: [{ title: "Yes", payload: "yes" }],
          card: { type: "AdaptiveCard", version: "1.3", body: [] },
          data: { k: [1, 2] },
          deliveryState: "delivered",
        });
        const third = await store.messages.append(session.id, {
          direction: "out",
          source: "agent",
          text: "Hello, I'm Bea",
          agentName: "Bea",
          attachments: [{ name: "a.pdf", url: "https://x/a.pdf", contentType: "application/pdf", size: 3 }],
          providerId: "eight",
          deliveryState: "pending",
        });
        expect([first, second, third]).toEqual([
          { seq: 1, inserted: true },
          { seq: 2, inserted: true },
          { seq: 3, inserted: true },
        ]);
        const all = await store.messages.listAfter(session.id, 0);
        expect(all.map((m) => m.seq)).toEqual([1, 2, 3]);
        expect(all[0]).toEqual({
          sessionId: session.id,
          seq: 1,
          direction: "in",
          source: "user",
          text: "hi",
          createdAt: all[0]!.createdAt,
          deliveryState: "not_applicable",
          providerId: null,
          providerMessageRef: null,
        });
        expect(new Date(all[0]!.createdAt).toISOString()).toBe(all[0]!.createdAt);
        expect(all[1]).toMatchObject({
          quickReplies: [{ title: "Yes", payload: "yes" }],
          card: { type: "AdaptiveCard", version: "1.3", body: [] },
          data: { k: [1, 2] },
          deliveryState: "delivered",
        });
        expect(all[2]).toMatchObject({
          source: "agent",
          agentName: "Bea",
          attachments: [{ name: "a.pdf", url: "https://x/a.pdf", contentType: "application/pdf", size: 3 }],
          providerId: "eight",
          deliveryState: "pending",
        });
      });

      it("gives concurrent appends to one session distinct consecutive numbers", async () => {
        const session = await newSession();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.messages.append(session.id, { direction: "out", source: "bot", text: `m${i}` }),
          ),
        );
        expect(results.every((r) => r.inserted)).toBe(true);
        expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const stored = await store.messages.listAfter(session.id, 0);
        expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        // Each seq belongs to the message whose append returned it.
        for (const [i, r] of results.entries()) expect(stored[r.seq - 1]!.text).toBe(`m${i}`);
      });

      it("stores a resent client message once, even when the resends race", async () => {
        const session = await newSession();
        const message = { direction: "in", source: "user", text: "again?", clientMessageId: "c-1" } as const;
        const first = await store.messages.append(session.id, message);
        const racing = await Promise.all(
          Array.from({ length: 5 }, () => store.messages.append(session.id, message)),
        );
        expect(racing).toEqual(Array.from({ length: 5 }, () => ({ seq: first.seq, inserted: false })));
        const raced = await Promise.all(
          Array.from({ length: 5 }, () =>
            store.messages.append(session.id, { ...message, clientMessageId: "c-2" }),
          ),
        );
        expect(raced.filter((r) => r.inserted)).toHaveLength(1);
        expect(new Set(raced.map((r) => r.seq)).size).toBe(1);
        const stored = await store.messages.listAfter(session.id, 0);
        expect(stored.map((m) => [m.seq, m.clientMessageId])).toEqual([
          [1, "c-1"],
          [2, "c-2"],
        ]);
        // The same client id in another session is another message.
        expect((await store.messages.append((await newSession("s-2")).id, message)).inserted).toBe(true);
      });

      it("replays exactly what a reconnecting client missed, in order, with a limit", async () => {
        const session = await newSession();
        for (let i = 1; i <= 6; i += 1) {
          await store.messages.append(session.id, { direction: "out", source: "bot", text: `m${i}` });
        }
        expect((await store.messages.listAfter(session.id, 3)).map((m) => m.text)).toEqual([
          "m4",
          "m5",
          "m6",
        ]);
        expect((await store.messages.listAfter(session.id, 1, 2)).map((m) => m.seq)).toEqual([2, 3]);
        expect(await store.messages.listAfter(session.id, 6)).toEqual([]);
        expect(await store.messages.listAfter("not-a-uuid", 0)).toEqual([]);
      });

      it("gives the transcript in order, the last N of it, or chosen sources only", async () => {
        const session = await newSession();
        const sources = ["user", "bot", "system", "user", "bot"] as const;
        for (const [i, source] of sources.entries()) {
          await store.messages.append(session.id, {
            direction: source === "user" ? "in" : "out",
            source,
            text: `${i}`,
          });
        }
        expect((await store.messages.listTranscript(session.id)).map((m) => m.text)).toEqual([
          "0",
          "1",
          "2",
          "3",
          "4",
        ]);
        expect((await store.messages.listTranscript(session.id, { lastN: 2 })).map((m) => m.seq)).toEqual([
          4, 5,
        ]);
        expect(
          (await store.messages.listTranscript(session.id, { sources: ["user", "bot"], lastN: 3 })).map(
            (m) => m.text,
          ),
        ).toEqual(["1", "3", "4"]);
        expect(await store.messages.listTranscript(session.id, { lastN: 0 })).toEqual([]);
      });

      it("records delivery outcomes and provider message ids", async () => {
        const session = await newSession();
        const { seq } = await store.messages.append(session.id, {
          direction: "in",
          source: "user",
          text: "to the agent",
          providerId: "eight",
          deliveryState: "pending",
        });
        await store.messages.setDeliveryState(session.id, seq, "delivered", "msg-42");
        expect((await store.messages.listAfter(session.id, 0))[0]).toMatchObject({
          deliveryState: "delivered",
          providerId: "eight",
          providerMessageRef: "msg-42",
        });
        await store.messages.setDeliveryState(session.id, seq, "failed");
        expect((await store.messages.listAfter(session.id, 0))[0]).toMatchObject({
          deliveryState: "failed",
          providerMessageRef: "msg-42",
        });
      });

      it("refuses a message for an unknown session", async () => {
        for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) {
          const error: unknown = await store.messages
            .append(id, { direction: "in", source: "user", text: "x" })
            .catch((e: unknown) => e);
          expect(isBatonError(error) && error.code).toBe("BATON_ERR_STORE_NOT_FOUND");
        }
      });
    });

    // ------------------------------------------------------------------------------------------------------
    // handovers

    /** A real machine state in `state`, with a few fields changed to tell writes apart. */
    const machineIn = (
      state: HandoverState,
      extra: Partial<HandoverMachineState> = {},
    ): HandoverMachineState => ({
      ...initialState(handoverRequest, 1_000, "handover-1", { agentLeftGraceSeconds: 10 }).state,
      state,
      ...extra,
    });

    const newHandover = (session: StoredSession, overrides: Partial<NewHandover> = {}): NewHandover => ({
      sessionId: session.id,
      endpointId: session.endpointId,
      providerId: "eight",
      state: "requested",
      machine: machineIn("requested"),
      request: handoverRequest,
      ...overrides,
    });

    describe("handovers", () => {
      it("creates a handover and finds it by id, open session and provider conversation", async () => {
        const session = await newSession();
        const created = await store.handovers.create(newHandover(session));
        if (!created.ok) throw new Error("expected the handover to be created");
        const handover = created.handover;
        expect(handover).toMatchObject({
          sessionId: session.id,
          endpointId: provider,
          providerId: "eight",
          providerConversationId: null,
          state: "requested",
          machine: machineIn("requested"),
          request: handoverRequest,
          version: 1,
          endedAt: null,
        });
        expect(await store.handovers.get(handover.id)).toEqual(handover);
        expect(await store.handovers.findOpenBySession(session.id)).toEqual(handover);

        const queued = await store.handovers.update(
          handover.id,
          { state: "queued", machine: machineIn("queued"), providerConversationId: `${provider}-conv` },
          1,
        );
        expect(queued).toMatchObject({ ok: true, handover: { state: "queued", version: 2 } });
        expect(await store.handovers.findByProviderConversation("eight", `${provider}-conv`)).toMatchObject({
          id: handover.id,
          providerConversationId: `${provider}-conv`,
        });
        expect(await store.handovers.findByProviderConversation("other", `${provider}-conv`)).toBeUndefined();
        expect(await store.handovers.get("nope")).toBeUndefined();
      });

      it("allows one open handover per session, also when two are requested at once", async () => {
        const session = await newSession();
        const results = await Promise.all(
          Array.from({ length: 4 }, () => store.handovers.create(newHandover(session))),
        );
        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        const open = winners[0]!.ok ? winners[0]!.handover : undefined;
        for (const r of results.filter((x) => !x.ok)) {
          expect(r).toEqual({ ok: false, reason: "open_handover_exists", open });
        }
        // Another session is not affected.
        expect((await store.handovers.create(newHandover(await newSession("s-2")))).ok).toBe(true);
      });

      it("ends a handover on a terminal state, which allows the session's next one", async () => {
        const session = await newSession();
        const first = await store.handovers.create(newHandover(session));
        if (!first.ok) throw new Error("expected the handover to be created");
        const active = await store.handovers.update(
          first.handover.id,
          { state: "active", machine: machineIn("active") },
          1,
        );
        expect(active.ok && active.handover.endedAt).toBeNull();
        const done = await store.handovers.update(
          first.handover.id,
          { state: "completed", machine: machineIn("completed", { endReason: "user" }) },
          2,
        );
        expect(done.ok && done.handover.endedAt).toBeInstanceOf(Date);
        expect(await store.handovers.findOpenBySession(session.id)).toBeUndefined();
        const second = await store.handovers.create(newHandover(session));
        expect(second.ok).toBe(true);
        expect(await store.handovers.findOpenBySession(session.id)).toMatchObject({
          id: second.ok ? second.handover.id : "",
        });
        // An explicit end time is kept.
        const endedAt = new Date("2030-01-02T03:04:05.000Z");
        const closed = await store.handovers.update(
          second.ok ? second.handover.id : "",
          { state: "closed_by_bot", machine: machineIn("closed_by_bot"), endedAt },
          1,
        );
        expect(closed.ok && closed.handover.endedAt).toEqual(endedAt);
      });

      it("rejects an update whose version moved, and exactly one of two racing updates wins", async () => {
        const session = await newSession();
        const created = await store.handovers.create(newHandover(session));
        if (!created.ok) throw new Error("expected the handover to be created");
        const id = created.handover.id;
        const racing = await Promise.all([
          store.handovers.update(
            id,
            { state: "queued", machine: machineIn("queued", { inactivity: { count: 1 } }) },
            1,
          ),
          store.handovers.update(
            id,
            { state: "error", machine: machineIn("error", { inactivity: { count: 2 } }) },
            1,
          ),
        ]);
        expect(racing.filter((r) => r.ok)).toHaveLength(1);
        const loser = racing.find((r) => !r.ok);
        const winner = racing.find((r) => r.ok);
        expect(loser).toEqual({
          ok: false,
          reason: "version_conflict",
          current: winner?.ok && winner.handover,
        });
        expect((await store.handovers.get(id))?.version).toBe(2);
        expect(
          await store.handovers.update(id, { state: "active", machine: machineIn("active") }, 1),
        ).toMatchObject({
          ok: false,
          reason: "version_conflict",
          current: { version: 2 },
        });
        expect(
          await store.handovers.update(
            "00000000-0000-4000-8000-000000000000",
            { state: "active", machine: machineIn("active") },
            1,
          ),
        ).toEqual({ ok: false, reason: "not_found" });
      });

      it("lists open handovers only", async () => {
        const a = await store.handovers.create(newHandover(await newSession("a")));
        const b = await store.handovers.create(newHandover(await newSession("b")));
        if (!a.ok || !b.ok) throw new Error("expected both handovers to be created");
        await store.handovers.update(
          b.handover.id,
          { state: "cancelled", machine: machineIn("cancelled") },
          1,
        );
        const open = (await store.handovers.listOpen()).filter((h) => h.endpointId === provider);
        expect(open.map((h) => h.id)).toEqual([a.handover.id]);
      });
    });

    // ------------------------------------------------------------------------------------------------------
    // transactions

    describe("transactions", () => {
      it("commits every write of a transaction together", async () => {
        const session = await newSession();
        const seq = await store.transaction(async (tx) => {
          const appended = await tx.messages.append(session.id, {
            direction: "out",
            source: "bot",
            text: "t",
          });
          await tx.outbox.enqueue([
            { orderingKey: `${provider}-k`, kind: "send", payload: { seq: appended.seq } },
          ]);
          return appended.seq;
        });
        expect(seq).toBe(1);
        expect(await store.messages.listAfter(session.id, 0)).toHaveLength(1);
        expect((await store.outbox.listByKey(`${provider}-k`)).map((i) => i.payload)).toEqual([{ seq: 1 }]);
      });

      it("rolls every write back when the transaction throws", async () => {
        const session = await newSession();
        const failure = new Error("decided otherwise");
        await expect(
          store.transaction(async (tx) => {
            await tx.messages.append(session.id, { direction: "out", source: "bot", text: "t" });
            await tx.sessions.updateFlow(session.id, { context: { x: 1 }, flowState: null });
            await tx.outbox.enqueue([{ orderingKey: `${provider}-k`, kind: "send", payload: {} }]);
            await tx.timers.schedule(`${provider}:t`, "k", new Date(), {});
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await store.messages.listAfter(session.id, 0)).toEqual([]);
        expect((await store.sessions.get(session.id))?.context).toEqual({});
        expect(await store.outbox.listByKey(`${provider}-k`)).toEqual([]);
        expect(await store.timers.get(`${provider}:t`)).toBeUndefined();
        // The sequence number was not used up either.
        expect((await store.messages.append(session.id, { direction: "in", source: "user" })).seq).toBe(1);
      });
    });

    // ------------------------------------------------------------------------------------------------------
    // outbox

    /** Finishes everything earlier tests left, so a claim sees only this test's items. */
    async function drainOutbox(): Promise<void> {
      for (;;) {
        const items = await store.outbox.claimNext({ now: farFuture, limit: 100 });
        if (items.length === 0) return;
        for (const item of items) await store.outbox.complete(item.id);
      }
    }

    describe("outbox", () => {
      it("claims the head of each key only, in order, and the next one once the head is done", async () => {
        await drainOutbox();
        const now = new Date();
        const [a1, a2, b1, a3] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: { n: "a1", nested: { list: [1, 2] } } },
          { orderingKey: `${provider}-a`, kind: "send", payload: { n: "a2" } },
          { orderingKey: `${provider}-b`, kind: "end", payload: { n: "b1" } },
          { orderingKey: `${provider}-a`, kind: "send", payload: { n: "a3" } },
        ]);
        expect(a1).toMatchObject({
          status: "pending",
          attempts: 0,
          lockedUntil: null,
          payload: { n: "a1", nested: { list: [1, 2] } },
        });
        const claimed = await store.outbox.claimNext({ now, limit: 10 });
        expect(claimed.map((i) => i.id)).toEqual([a1!.id, b1!.id]);
        expect(claimed[0]).toMatchObject({ attempts: 1, kind: "send" });
        expect(claimed[0]!.lockedUntil!.getTime()).toBeGreaterThan(now.getTime());
        // The heads are leased and the rest of key a waits behind its head.
        expect(await store.outbox.claimNext({ now, limit: 10 })).toEqual([]);
        await store.outbox.complete(a1!.id);
        expect((await store.outbox.claimNext({ now, limit: 10 })).map((i) => i.id)).toEqual([a2!.id]);
        await store.outbox.complete(a2!.id);
        await store.outbox.complete(b1!.id);
        expect((await store.outbox.claimNext({ now, limit: 10 })).map((i) => i.id)).toEqual([a3!.id]);
        expect(await store.outbox.get(a1!.id)).toMatchObject({ status: "done", lockedUntil: null });
        expect((await store.outbox.get(a1!.id))?.doneAt).toBeInstanceOf(Date);
      });

      it("claims at most `limit` heads, oldest first", async () => {
        await drainOutbox();
        const items = await store.outbox.enqueue(
          Array.from({ length: 5 }, (_, i) => ({
            orderingKey: `${provider}-${i}`,
            kind: "send",
            payload: {},
          })),
        );
        const claimed = await store.outbox.claimNext({ now: new Date(), limit: 3 });
        expect(claimed.map((i) => i.id)).toEqual(items.slice(0, 3).map((i) => i.id));
      });

      it("keeps a retried head in front of its key until it is due again", async () => {
        await drainOutbox();
        const now = new Date();
        const [a1, a2] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
        ]);
        await store.outbox.claimNext({ now, limit: 10 });
        const at = new Date(now.getTime() + 5_000);
        await store.outbox.retryLater(a1!.id, { at, error: "BATON_ERR_8X8_UNAVAILABLE" });
        expect(await store.outbox.get(a1!.id)).toMatchObject({
          status: "pending",
          nextAttemptAt: at,
          lockedUntil: null,
          lastError: "BATON_ERR_8X8_UNAVAILABLE",
          attempts: 1,
        });
        expect(await store.outbox.claimNext({ now: new Date(now.getTime() + 4_999), limit: 10 })).toEqual([]);
        const again = await store.outbox.claimNext({ now: at, limit: 10 });
        expect(again.map((i) => [i.id, i.attempts])).toEqual([[a1!.id, 2]]);
        await store.outbox.complete(a1!.id);
        expect((await store.outbox.claimNext({ now: at, limit: 10 })).map((i) => i.id)).toEqual([a2!.id]);
      });

      it("does not start an item before its notBefore time", async () => {
        await drainOutbox();
        const now = new Date();
        const [item] = await store.outbox.enqueue([
          {
            orderingKey: `${provider}-a`,
            kind: "send",
            payload: {},
            notBefore: new Date(now.getTime() + 1_000),
          },
        ]);
        expect(await store.outbox.claimNext({ now, limit: 10 })).toEqual([]);
        expect(
          (await store.outbox.claimNext({ now: new Date(now.getTime() + 1_000), limit: 10 })).map(
            (i) => i.id,
          ),
        ).toEqual([item!.id]);
      });

      it("hands a crashed worker's item to another claimer once its lease ends", async () => {
        await drainOutbox();
        const now = new Date();
        const [item] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
        ]);
        await store.outbox.claimNext({ now, limit: 10, leaseMs: 1_000 });
        expect(await store.outbox.claimNext({ now: new Date(now.getTime() + 999), limit: 10 })).toEqual([]);
        const reclaimed = await store.outbox.claimNext({ now: new Date(now.getTime() + 1_000), limit: 10 });
        expect(reclaimed.map((i) => [i.id, i.attempts])).toEqual([[item!.id, 2]]);
      });

      it("lets the rest of a key go on after an item failed or went dead", async () => {
        await drainOutbox();
        const now = new Date();
        const [a1, a2, a3] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
        ]);
        await store.outbox.claimNext({ now, limit: 10 });
        await store.outbox.fail(a1!.id, "BATON_ERR_8X8_REQUEST_REJECTED");
        expect(await store.outbox.get(a1!.id)).toMatchObject({
          status: "failed",
          lastError: "BATON_ERR_8X8_REQUEST_REJECTED",
        });
        expect((await store.outbox.claimNext({ now, limit: 10 })).map((i) => i.id)).toEqual([a2!.id]);
        await store.outbox.fail(a2!.id, "gave up", "dead");
        expect((await store.outbox.get(a2!.id))?.status).toBe("dead");
        expect((await store.outbox.claimNext({ now, limit: 10 })).map((i) => i.id)).toEqual([a3!.id]);
        // A late retryLater for an item that already ended changes nothing.
        await store.outbox.retryLater(a1!.id, { at: now, error: "late" });
        expect((await store.outbox.get(a1!.id))?.status).toBe("failed");
      });

      it("never gives one item to two concurrent claimers", async () => {
        await drainOutbox();
        const now = new Date();
        const keys = Array.from({ length: 12 }, (_, i) => `${provider}-${i}`);
        await store.outbox.enqueue(
          keys.flatMap((key) => [0, 1, 2].map((n) => ({ orderingKey: key, kind: "send", payload: { n } }))),
        );
        const claims = await Promise.all(
          Array.from({ length: 4 }, () => store.outbox.claimNext({ now, limit: 5 })),
        );
        const claimed = claims.flat();
        expect(new Set(claimed.map((i) => i.id)).size).toBe(claimed.length);
        // Only heads: each key appears at most once, and always with its first item.
        expect(new Set(claimed.map((i) => i.orderingKey)).size).toBe(claimed.length);
        expect(claimed.every((i) => i.payload["n"] === 0)).toBe(true);
        expect(claimed.length).toBe(12);
      });
    });

    // ------------------------------------------------------------------------------------------------------
    // timers

    async function drainTimers(): Promise<void> {
      for (;;) {
        const timers = await store.timers.claimDue(farFuture, 100);
        if (timers.length === 0) return;
        for (const timer of timers) await store.timers.markFired(timer.id);
      }
    }

    describe("copilot workspaces", () => {
      it("creates once, then updates only at the version read, and goes with its session", async () => {
        const { session } = await store.sessions.getOrCreate({
          endpointId: "web",
          userId: `copilot-${provider}`,
          sessionId: "s",
        });
        expect(await store.copilotWorkspaces.get(session.id)).toBeUndefined();
        expect(await store.copilotWorkspaces.get("not-a-uuid")).toBeUndefined();
        const record = (handoverStartSeq: number): WorkspaceRecord => ({
          workspace: {
            sessionKey: session.id,
            grid: { columns: 2, rows: 2, gap: 8 },
            tiles: [],
            problems: [],
          },
          handoverId: "handover-1",
          handoverStartSeq,
          context: {},
          searches: {},
          basis: {},
        });
        expect(await store.copilotWorkspaces.save(session.id, record(1), null)).toEqual({
          ok: true,
          version: 1,
        });
        expect(await store.copilotWorkspaces.save(session.id, record(0), null)).toEqual({
          ok: false,
          reason: "version_conflict",
        });
        expect(await store.copilotWorkspaces.save(session.id, record(2), 1)).toEqual({
          ok: true,
          version: 2,
        });
        expect(await store.copilotWorkspaces.save(session.id, record(0), 1)).toEqual({
          ok: false,
          reason: "version_conflict",
        });
        const stored = await store.copilotWorkspaces.get(session.id);
        expect(stored).toMatchObject({ sessionId: session.id, state: record(2), version: 2 });
        expect(stored?.updatedAt).toBeInstanceOf(Date);
      });

      it("keeps link keys by kid, newest first, and deletes old ones", async () => {
        const base = Date.parse("2030-01-01T00:00:00Z") + counter * 1000;
        await store.copilotLinkKeys.add(`${provider}-old`, "c2VjcmV0MQ", new Date(base));
        await store.copilotLinkKeys.add(`${provider}-new`, "c2VjcmV0Mg", new Date(base + 500));
        await store.copilotLinkKeys.add(`${provider}-new`, "ignored", new Date(base + 900));
        expect(await store.copilotLinkKeys.get(`${provider}-new`)).toEqual({
          kid: `${provider}-new`,
          secret: "c2VjcmV0Mg",
          createdAt: new Date(base + 500),
        });
        expect((await store.copilotLinkKeys.newest())?.createdAt.getTime()).toBeGreaterThanOrEqual(
          base + 500,
        );
        expect(await store.copilotLinkKeys.deleteCreatedBefore(new Date(base + 100))).toBeGreaterThanOrEqual(
          1,
        );
        expect(await store.copilotLinkKeys.get(`${provider}-old`)).toBeUndefined();
        expect(await store.copilotLinkKeys.get(`${provider}-new`)).toBeDefined();
      });
    });

    describe("timers", () => {
      it("claims a timer only once it is due, and only once", async () => {
        await drainTimers();
        const due = new Date(Date.now() + 10_000);
        const id = `handover:${provider}:inactivity`;
        const scheduled = await store.timers.schedule(id, "inactivity", due, {
          handoverId: provider,
          count: 1,
        });
        expect(scheduled).toMatchObject({
          id,
          kind: "inactivity",
          dueAt: due,
          status: "scheduled",
          generation: 1,
        });
        expect(await store.timers.nextDueAt()).toEqual(due);
        expect(await store.timers.claimDue(new Date(due.getTime() - 1), 10)).toEqual([]);
        const claims = await Promise.all(Array.from({ length: 4 }, () => store.timers.claimDue(due, 10)));
        expect(claims.flat().map((t) => [t.id, t.payload])).toEqual([
          [id, { handoverId: provider, count: 1 }],
        ]);
        await store.timers.markFired(id, 1);
        expect(await store.timers.get(id)).toMatchObject({ status: "fired", lockedUntil: null });
        expect(await store.timers.claimDue(new Date(due.getTime() + 60_000), 10)).toEqual([]);
        expect(await store.timers.nextDueAt()).toBeUndefined();
      });

      it("re-arms on schedule: new due time and payload replace the old ones", async () => {
        await drainTimers();
        const now = Date.now();
        const id = `${provider}:t`;
        await store.timers.schedule(id, "inactivity", new Date(now + 1_000), { n: 1 });
        const rearmed = await store.timers.schedule(id, "queue-wait", new Date(now + 5_000), { n: 2 });
        expect(rearmed).toMatchObject({
          kind: "queue-wait",
          payload: { n: 2 },
          generation: 2,
          status: "scheduled",
        });
        expect(await store.timers.claimDue(new Date(now + 1_000), 10)).toEqual([]);
        const [claimed] = await store.timers.claimDue(new Date(now + 5_000), 10);
        expect(claimed).toMatchObject({ id, kind: "queue-wait", payload: { n: 2 } });
        await store.timers.markFired(id, claimed!.generation);
        // A fired timer is armed again by scheduling it again.
        await store.timers.schedule(id, "inactivity", new Date(now + 9_000), { n: 3 });
        expect((await store.timers.claimDue(new Date(now + 9_000), 10)).map((t) => t.payload)).toEqual([
          { n: 3 },
        ]);
      });

      it("does not let a fire that raced a re-arm mark the new arming fired", async () => {
        await drainTimers();
        const now = Date.now();
        const id = `${provider}:t`;
        await store.timers.schedule(id, "inactivity", new Date(now), {});
        const [claimed] = await store.timers.claimDue(new Date(now), 10);
        await store.timers.schedule(id, "inactivity", new Date(now + 2_000), { rearmed: true });
        await store.timers.markFired(id, claimed!.generation);
        expect(await store.timers.get(id)).toMatchObject({
          status: "scheduled",
          generation: 2,
          lockedUntil: null,
        });
        expect((await store.timers.claimDue(new Date(now + 2_000), 10)).map((t) => t.payload)).toEqual([
          { rearmed: true },
        ]);
      });

      it("cancels a scheduled timer", async () => {
        await drainTimers();
        const now = Date.now();
        const id = `${provider}:t`;
        await store.timers.schedule(id, "inactivity", new Date(now), {});
        expect(await store.timers.cancel(id)).toBe(true);
        expect(await store.timers.cancel(id)).toBe(false);
        expect(await store.timers.cancel(`${provider}:unknown`)).toBe(false);
        expect(await store.timers.claimDue(new Date(now + 1_000), 10)).toEqual([]);
        expect((await store.timers.get(id))?.status).toBe("cancelled");
      });

      it("gives a failed fire back for a later retry, and a crashed claim back after its lease", async () => {
        await drainTimers();
        const now = Date.now();
        const id = `${provider}:t`;
        await store.timers.schedule(id, "inactivity", new Date(now), {});
        const [first] = await store.timers.claimDue(new Date(now), 10, 1_000);
        expect(await store.timers.claimDue(new Date(now + 999), 10)).toEqual([]);
        const [second] = await store.timers.claimDue(new Date(now + 1_000), 10);
        expect([first!.attempts, second!.attempts]).toEqual([1, 2]);
        await store.timers.retryLater(id, second!.generation, { at: new Date(now + 3_000), error: "boom" });
        expect(await store.timers.get(id)).toMatchObject({
          lastError: "boom",
          lockedUntil: null,
          status: "scheduled",
        });
        expect(await store.timers.claimDue(new Date(now + 2_999), 10)).toEqual([]);
        expect((await store.timers.claimDue(new Date(now + 3_000), 10)).map((t) => t.id)).toEqual([id]);
      });

      it("claims due timers earliest first, at most `limit`", async () => {
        await drainTimers();
        const now = Date.now();
        for (const [i, offset] of [300, 100, 200].entries()) {
          await store.timers.schedule(`${provider}:${i}`, "k", new Date(now + offset), { i });
        }
        expect(await store.timers.nextDueAt()).toEqual(new Date(now + 100));
        const claimed = await store.timers.claimDue(new Date(now + 1_000), 2);
        expect(claimed.map((t) => t.payload)).toEqual([{ i: 1 }, { i: 2 }]);
      });
    });
  });
}
