import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isBatonError } from "../../src/errors/index.ts";
import type { WorkspaceRecord } from "../../src/copilot/workspace-record.ts";
import { initialState, type HandoverMachineState } from "../../src/handover/machine/index.ts";
import type { HandoverRequest, HandoverState } from "../../src/handover/types.ts";
import type {
  EventLogPosition,
  EventLogQuery,
  NewEventLogEntry,
  NewHandover,
  NewWebhookEvent,
  Store,
  StoredSession,
} from "../../src/store/types.ts";

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

    it("gives a conversation's backlog in payload order, each with whether its window passed, and the latest handed on", async () => {
      const at = (eventTimestamp: number, conversationId = "conv-b") =>
        event({ conversationId, eventTimestamp });
      // Arrival order differs from payload order; two share a timestamp (arrival breaks the tie).
      const [late, early, tieFirst, tieSecond, done, failed, ignored, other] = [
        at(300),
        at(100),
        at(200),
        at(200),
        at(250),
        at(50),
        at(900),
        at(150, "conv-c"),
      ];
      for (const e of [late, early, tieFirst, tieSecond, done, failed, ignored, other])
        await store.webhookEvents.recordIfNew(e);
      await store.webhookEvents.markDone(provider, done.eventId, "processed");
      await store.webhookEvents.markDone(provider, failed.eventId, "failed", "handler threw");
      await store.webhookEvents.markDone(provider, ignored.eventId, "ignored");

      const held = await store.webhookEvents.backlog(provider, "conv-b", 60_000);
      expect(held.pending.map((e) => e.eventId)).toEqual(
        [early, tieFirst, tieSecond, late].map((e) => e.eventId),
      );
      expect(held.pending.map((e) => e.windowPassed)).toEqual([false, false, false, false]);
      // Ignored events were never handed on: the latest handed on is the processed one, not the ignored.
      expect(held.latestHandedOn).toBe(250);

      const passed = await store.webhookEvents.backlog(provider, "conv-b", 0);
      expect(passed.pending.map((e) => e.windowPassed)).toEqual([true, true, true, true]);
      expect(passed.pending[0]).toMatchObject({
        providerId: provider,
        conversationId: "conv-b",
        status: "pending",
      });

      expect(await store.webhookEvents.backlog(provider, "conv-none", 0)).toEqual({
        pending: [],
        latestHandedOn: undefined,
      });
      const otherBacklog = await store.webhookEvents.backlog(provider, "conv-c", 0);
      expect(otherBacklog.pending.map((e) => e.eventId)).toEqual([other.eventId]);
      expect(otherBacklog.latestHandedOn).toBeUndefined();
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

      it("fences a session's writes: an older lock token than one that wrote is refused and changes nothing", async () => {
        const { session } = await store.sessions.getOrCreate({
          endpointId: "web",
          userId: `fenced-${counter}`,
          sessionId: "s",
        });
        await store.sessions.fence(session.id, 1_000);
        await store.sessions.fence(session.id, 1_000); // the same holder, its next transaction
        await store.transaction(async (tx) => {
          await tx.sessions.fence(session.id, 2_000);
          await tx.sessions.updateFlow(session.id, { context: { by: "new holder" }, flowState: null });
        });
        const refused: unknown = await store
          .transaction(async (tx) => {
            await tx.sessions.fence(session.id, 1_000);
            await tx.sessions.updateFlow(session.id, { context: { by: "old holder" }, flowState: null });
          })
          .catch((error: unknown) => error);
        expect(isBatonError(refused) && refused.code).toBe("BATON_ERR_LOCK_LOST");
        expect(isBatonError(refused) && refused.details).toMatchObject({
          sessionKey: session.id,
          token: 1_000,
          writtenBy: 2_000,
        });
        expect((await store.sessions.get(session.id))?.context).toEqual({ by: "new holder" });
        // The refused claim did not lower the fence: the new holder keeps writing, the old one stays out.
        await expect(store.sessions.fence(session.id, 2_000)).resolves.toBeUndefined();
        const again: unknown = await store.sessions.fence(session.id, 1_999).catch((error: unknown) => error);
        expect(isBatonError(again) && again.code).toBe("BATON_ERR_LOCK_LOST");
      });

      it("takes fencing tokens of today's clock in microseconds, and refuses ones that are not tokens", async () => {
        const { session } = await store.sessions.getOrCreate({
          endpointId: "web",
          userId: `fenced-clock-${counter}`,
          sessionId: "s",
        });
        await store.sessions.fence(session.id, Date.now() * 1000);
        for (const token of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
          const error: unknown = await store.sessions.fence(session.id, token).catch((e: unknown) => e);
          expect(isBatonError(error) && error.code).toBe("BATON_ERR_LOCK_TOKEN_INVALID");
        }
        const unknown: unknown = await store.sessions
          .fence("00000000-0000-4000-8000-000000000000", 5)
          .catch((e: unknown) => e);
        expect(isBatonError(unknown) && unknown.code).toBe("BATON_ERR_STORE_NOT_FOUND");
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

      it("records the claiming instance and does not take over the running lease of a live one", async () => {
        await drainOutbox();
        const now = new Date();
        const alive = `${provider}-alive`;
        await store.instances.register({ id: alive, bus: "redis", host: "h1", pid: 1 });
        const [item] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
        ]);
        const [claimed] = await store.outbox.claimNext({
          now,
          limit: 10,
          instanceId: alive,
          staleAfterMs: 60_000,
        });
        expect(claimed).toMatchObject({ id: item!.id, lockedBy: alive, checkFirst: false });
        expect(claimed!.resumedFrom).toBeUndefined();
        const other = { now, limit: 10, instanceId: `${provider}-other`, staleAfterMs: 60_000 };
        expect(await store.outbox.claimNext(other)).toEqual([]);
        await store.instances.remove(alive);
      });

      it("takes over at once the running lease of an instance that is gone, keeping per-key order", async () => {
        await drainOutbox();
        const now = new Date();
        const [a1, a2, b1] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: { n: 1 } },
          { orderingKey: `${provider}-a`, kind: "send", payload: { n: 2 } },
          { orderingKey: `${provider}-b`, kind: "send", payload: { n: 3 } },
        ]);
        // The crashed instance never had a row left (it was removed), and its leases run for a minute.
        const crashed = `${provider}-crashed`;
        await store.outbox.claimNext({ now, limit: 10, instanceId: crashed, staleAfterMs: 60_000 });
        const next = `${provider}-next`;
        const resumed = await store.outbox.claimNext({
          now,
          limit: 10,
          instanceId: next,
          staleAfterMs: 60_000,
        });
        expect(resumed.map((i) => [i.id, i.attempts, i.lockedBy, i.checkFirst])).toEqual([
          [a1!.id, 2, next, true],
          [b1!.id, 2, next, true],
        ]);
        expect(resumed.map((i) => i.resumedFrom)).toEqual([{ instanceId: crashed }, { instanceId: crashed }]);
        // Only the heads: the second item of key a still waits for the first.
        await store.outbox.complete(a1!.id);
        const following = await store.outbox.claimNext({
          now,
          limit: 10,
          instanceId: next,
          staleAfterMs: 60_000,
        });
        expect(following.map((i) => [i.id, i.checkFirst])).toEqual([[a2!.id, false]]);
      });

      it("takes over the running lease of an instance that stopped beating", async () => {
        await drainOutbox();
        const now = new Date();
        const silent = `${provider}-silent`;
        await store.instances.register({ id: silent, bus: "redis", host: "h1", pid: 1 });
        const [item] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
        ]);
        await store.outbox.claimNext({ now, limit: 10, instanceId: silent, staleAfterMs: 60_000 });
        const next = { now, limit: 10, instanceId: `${provider}-next` };
        // Its beat is a minute fresh: alive. With a threshold shorter than its silence, it counts as gone.
        expect(await store.outbox.claimNext({ ...next, staleAfterMs: 60_000 })).toEqual([]);
        await waitMs(20);
        const taken = await store.outbox.claimNext({ ...next, staleAfterMs: 10 });
        expect(taken.map((i) => [i.id, i.checkFirst])).toEqual([[item!.id, true]]);
        await store.instances.remove(silent);
      });

      it("never takes over a lease without a recorded owner before it ends", async () => {
        await drainOutbox();
        const now = new Date();
        const [item] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
        ]);
        await store.outbox.claimNext({ now, limit: 10, leaseMs: 1_000 });
        const next = { limit: 10, instanceId: `${provider}-next`, staleAfterMs: 10 };
        expect(await store.outbox.claimNext({ ...next, now: new Date(now.getTime() + 999) })).toEqual([]);
        const after = await store.outbox.claimNext({ ...next, now: new Date(now.getTime() + 1_000) });
        expect(after.map((i) => [i.id, i.checkFirst, i.resumedFrom])).toEqual([
          [item!.id, true, { instanceId: null }],
        ]);
      });

      it("keeps the check-first mark of an ambiguous failure until the item is done", async () => {
        await drainOutbox();
        const now = new Date();
        const [item] = await store.outbox.enqueue([
          { orderingKey: `${provider}-a`, kind: "send", payload: {} },
        ]);
        await store.outbox.claimNext({ now, limit: 10 });
        await store.outbox.retryLater(item!.id, { at: now, error: "timeout", checkFirst: true });
        expect((await store.outbox.get(item!.id))?.checkFirst).toBe(true);
        const [again] = await store.outbox.claimNext({ now, limit: 10 });
        expect(again).toMatchObject({ id: item!.id, checkFirst: true });
        expect(again!.resumedFrom).toBeUndefined();
        // A later definite failure proves nothing about the earlier attempt: the mark stays.
        await store.outbox.retryLater(item!.id, { at: now, error: "503" });
        expect((await store.outbox.get(item!.id))?.checkFirst).toBe(true);
      });
    });

    describe("instances", () => {
      it("registers an instance, beats, lists the live ones and removes it", async () => {
        const id = `${provider}-i1`;
        const registered = await store.instances.register({ id, bus: "memory", host: "host-a", pid: 4242 });
        expect(registered).toMatchObject({ id, bus: "memory", host: "host-a", pid: 4242 });
        expect(registered.heartbeatAt.getTime()).toBeGreaterThanOrEqual(registered.startedAt.getTime());
        await waitMs(5);
        expect(await store.instances.beat(id)).toBe(true);
        const [live] = (await store.instances.listLive(60_000)).filter((i) => i.id === id);
        expect(live!.heartbeatAt.getTime()).toBeGreaterThan(registered.heartbeatAt.getTime());
        expect((await store.instances.list()).map((i) => i.id)).toContain(id);
        await store.instances.remove(id);
        expect(await store.instances.beat(id)).toBe(false);
        expect((await store.instances.list()).map((i) => i.id)).not.toContain(id);
      });

      it("leaves an instance silent for longer than the threshold out of the live ones, and forgets it", async () => {
        const id = `${provider}-quiet`;
        await store.instances.register({ id, bus: "redis", host: "host-b", pid: 7 });
        await waitMs(20);
        expect((await store.instances.listLive(60_000)).map((i) => i.id)).toContain(id);
        expect((await store.instances.listLive(10)).map((i) => i.id)).not.toContain(id);
        expect(await store.instances.removeSilent(10)).toBeGreaterThanOrEqual(1);
        expect((await store.instances.list()).map((i) => i.id)).not.toContain(id);
      });

      it("registers an existing id again with a fresh beat instead of failing", async () => {
        const id = `${provider}-again`;
        const first = await store.instances.register({ id, bus: "redis", host: "host-c", pid: 1 });
        await waitMs(5);
        const second = await store.instances.register({ id, bus: "redis", host: "host-c", pid: 2 });
        expect(second.pid).toBe(2);
        expect(second.heartbeatAt.getTime()).toBeGreaterThan(first.heartbeatAt.getTime());
        await store.instances.remove(id);
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

    describe("provider messages (catch-up)", () => {
      let sessions = 0;
      async function openHandover(): Promise<string> {
        sessions += 1;
        const created = await store.handovers.create(newHandover(await newSession(`pm-${sessions}`)));
        if (!created.ok) throw new Error("expected the handover to be created");
        return created.handover.id;
      }
      const applied = (
        handoverId: string,
        messageKey: string,
        source: "webhook" | "catch-up" = "webhook",
      ) => ({
        handoverId,
        messageKey,
        senderId: "agent-1",
        occurredAt: 1_767_225_671_234,
        source,
        eventId: `${source}-${messageKey}`,
      });

      it("records a message key once per handover, also when a webhook and a catch-up race for it", async () => {
        const handoverId = await openHandover();
        const results = await Promise.all([
          store.providerMessages.recordIfNew(applied(handoverId, "k-1", "webhook")),
          store.providerMessages.recordIfNew(applied(handoverId, "k-1", "catch-up")),
          store.providerMessages.recordIfNew(applied(handoverId, "k-1", "webhook")),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.providerMessages.recordIfNew(applied(handoverId, "k-2"))).toBe(true);
        // Another handover may apply a message with the same key (its own conversation).
        expect(await store.providerMessages.recordIfNew(applied(await openHandover(), "k-1"))).toBe(true);
        const listed = await store.providerMessages.listByHandover(handoverId);
        expect(listed.map((m) => m.messageKey).sort()).toEqual(["k-1", "k-2"]);
        expect(listed[0]).toMatchObject({ senderId: "agent-1", occurredAt: 1_767_225_671_234 });
        expect(listed[0]!.appliedAt).toBeInstanceOf(Date);
      });

      it("rolls a recorded key back with the transaction that recorded it", async () => {
        const handoverId = await openHandover();
        await expect(
          store.transaction(async (tx) => {
            await tx.providerMessages.recordIfNew(applied(handoverId, "k-rolled"));
            throw new Error("the apply failed");
          }),
        ).rejects.toThrow("the apply failed");
        expect(await store.providerMessages.recordIfNew(applied(handoverId, "k-rolled"))).toBe(true);
      });

      it("keeps a catch-up mark per handover that only moves forward", async () => {
        const handoverId = await openHandover();
        expect(await store.providerMessages.getCatchUpMark(handoverId)).toBeUndefined();
        expect(await store.providerMessages.getCatchUpMark("not-a-uuid")).toBeUndefined();
        const first = await store.providerMessages.setCatchUpMark(handoverId, 1_767_225_700_000);
        expect(first).toMatchObject({ handoverId, caughtUpThrough: 1_767_225_700_000 });
        const behind = await store.providerMessages.setCatchUpMark(handoverId, 1_767_225_600_000);
        expect(behind.caughtUpThrough).toBe(1_767_225_700_000);
        expect(behind.checkedAt.getTime()).toBeGreaterThanOrEqual(first.checkedAt.getTime());
        await store.providerMessages.setCatchUpMark(handoverId, 1_767_225_800_000);
        expect(await store.providerMessages.getCatchUpMark(handoverId)).toMatchObject({
          caughtUpThrough: 1_767_225_800_000,
        });
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

    describe("event log", () => {
      const entry = (overrides: Partial<NewEventLogEntry> = {}): NewEventLogEntry => ({
        at: new Date("2026-03-01T10:00:00.000Z"),
        direction: "in",
        type: "MESSAGE",
        providerId: provider,
        conversationId: `${provider}-conv`,
        eventId: `${provider}-evt`,
        status: "200",
        outcome: "accepted",
        durationMs: 3,
        attempt: 1,
        errorCode: null,
        method: null,
        path: null,
        body: '{"eventType":"MESSAGE","text":"Olá ✓"}',
        bodyBytes: 41,
        bodyTruncated: false,
        replayOf: null,
        ...overrides,
      });
      const at = (second: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, second));

      it("stores a batch and lists it newest first without bodies; get returns one entry with its body", async () => {
        const inbound = entry({ at: at(1) });
        const outbound = entry({
          at: at(2),
          direction: "out",
          type: "messages.send",
          eventId: null,
          status: "timeout",
          outcome: "timeout",
          attempt: 2,
          errorCode: "BATON_ERR_8X8_TIMEOUT",
          method: "POST",
          path: `/chat-gateway/v1/conversations/${provider}-conv/messages`,
          body: null,
          bodyBytes: null,
        });
        expect(await store.eventLog.append([inbound, outbound])).toBe(2);
        expect(await store.eventLog.append([])).toBe(0);

        const listed = await store.eventLog.list({ providerId: provider });
        expect(listed.map((e) => e.type)).toEqual(["messages.send", "MESSAGE"]);
        const { body: _body, ...inboundMeta } = inbound;
        expect(listed[1]).toEqual({
          ...inboundMeta,
          id: expect.any(Number),
          handoverId: null,
          sessionId: null,
          hasBody: true,
        });
        const { body: _none, ...outboundMeta } = outbound;
        expect(listed[0]).toMatchObject({ ...outboundMeta, hasBody: false });
        expect(listed[1]).not.toHaveProperty("body");

        const one = await store.eventLog.get(listed[1]!.id);
        expect(one).toMatchObject({ id: listed[1]!.id, body: inbound.body, hasBody: true });
        expect(await store.eventLog.get(999_999_999)).toBeUndefined();
      });

      it("filters by direction, type, conversation, event id, exact status or status class, and time", async () => {
        await store.eventLog.append([
          entry({ at: at(1), status: "200" }),
          entry({ at: at(2), status: "401", outcome: "rejected_signature", conversationId: null }),
          entry({ at: at(3), direction: "out", type: "conversations.create", status: "201" }),
          entry({ at: at(4), direction: "out", type: "messages.send", status: "network", eventId: null }),
          entry({ at: at(5), type: "CONVERSATION_UPDATED", eventId: `${provider}-evt-2` }),
        ]);
        const seconds = async (query: Omit<EventLogQuery, "providerId">) =>
          (await store.eventLog.list({ providerId: provider, ...query })).map((e) => e.at.getUTCSeconds());
        expect(await seconds({ direction: "out" })).toEqual([4, 3]);
        expect(await seconds({ type: "MESSAGE" })).toEqual([2, 1]);
        expect(await seconds({ conversationId: `${provider}-conv` })).toEqual([5, 4, 3, 1]);
        expect(await seconds({ eventId: `${provider}-evt-2` })).toEqual([5]);
        expect(await seconds({ status: "network" })).toEqual([4]);
        expect(await seconds({ status: "2xx" })).toEqual([5, 3, 1]);
        expect(await seconds({ status: "4xx" })).toEqual([2]);
        expect(await seconds({ since: at(2), until: at(4) })).toEqual([4, 3, 2]);
        expect(await seconds({ limit: 2 })).toEqual([5, 4]);
      });

      it("pages with a keyset position: no entry twice, none skipped, also among entries of the same instant", async () => {
        const same = at(30);
        await store.eventLog.append(
          Array.from({ length: 7 }, (_, i) => entry({ at: i < 5 ? same : at(31 + i), attempt: i + 1 })),
        );
        const seen: number[] = [];
        let before: EventLogPosition | undefined;
        for (let page = 0; page < 10; page += 1) {
          const entries = await store.eventLog.list({
            providerId: provider,
            limit: 3,
            ...(before ? { before } : {}),
          });
          if (entries.length === 0) break;
          seen.push(...entries.map((e) => e.attempt));
          const last = entries.at(-1)!;
          before = { at: last.at, id: last.id };
        }
        expect(seen).toHaveLength(7);
        expect(new Set(seen).size).toBe(7);
        expect(seen.slice(0, 2)).toEqual([7, 6]);
      });

      it("names Baton's handover and session of the conversation, also for entries written before the handover knew it", async () => {
        await store.eventLog.append([
          entry({ direction: "out", type: "conversations.create", status: "201" }),
        ]);
        const session = await newSession(`s-log-${provider}`);
        const created = await store.handovers.create(newHandover(session, { providerId: provider }));
        if (!created.ok) throw new Error("expected the handover to be created");
        await store.handovers.update(
          created.handover.id,
          { state: "queued", machine: machineIn("queued"), providerConversationId: `${provider}-conv` },
          1,
        );
        await store.eventLog.append([entry({ at: at(9) }), entry({ at: at(10), conversationId: "another" })]);
        const listed = await store.eventLog.list({ providerId: provider });
        expect(listed.map((e) => [e.conversationId, e.handoverId, e.sessionId])).toEqual([
          ["another", null, null],
          [`${provider}-conv`, created.handover.id, session.id],
          [`${provider}-conv`, created.handover.id, session.id],
        ]);
      });

      it("prunes only entries older than the cut-off, at most `limit` per call", async () => {
        const old = (day: number) => entry({ at: new Date(Date.UTC(2001, 0, day)) });
        await store.eventLog.append([old(1), old(2), old(3), entry({ at: new Date(Date.UTC(2001, 0, 20)) })]);
        const cutOff = new Date(Date.UTC(2001, 0, 10));
        expect(await store.eventLog.prune(cutOff, 2)).toBe(2);
        expect(await store.eventLog.prune(cutOff, 2)).toBe(1);
        expect(await store.eventLog.prune(cutOff, 2)).toBe(0);
        const left = await store.eventLog.list({ providerId: provider });
        expect(left.map((e) => e.at.getUTCDate())).toEqual([20]);
      });
    });
  });
}

/** A real pause, for tests about the database's clock (heartbeat ages): it must move on between two calls. */
function waitMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
