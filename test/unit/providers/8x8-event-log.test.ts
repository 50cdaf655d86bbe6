import { describe, expect, it } from "vitest";
import type { EventLogSink } from "../../../src/eventlog/recorder.ts";
import { outboundRecorder } from "../../../src/providers/8x8/event-log.ts";
import type { NewEventLogEntry } from "../../../src/store/types.ts";
import { createTestClient, testApiKey } from "../../factories/chat-gateway-test-client.ts";
import {
  createReceiverHarness,
  rejectionOf,
  shareReceiverStoreInFile,
} from "../../factories/eight-by-eight-receiver.ts";
import { signedDelivery } from "../../factories/eight-by-eight-webhooks.ts";
import { useStubHttpServer } from "../../factories/stub-http-server.ts";

shareReceiverStoreInFile();
const stub = useStubHttpServer();

function collectingSink(maxBodyBytes = 65_536): EventLogSink & { entries: NewEventLogEntry[] } {
  const entries: NewEventLogEntry[] = [];
  return { entries, maxBodyBytes, record: (entry) => void entries.push(entry) };
}

const agentMessage = {
  eventType: "MESSAGE",
  conversationId: "cv_log_1",
  timestamp: 1767225655001,
  data: { text: "Hello, I'm Anna.", sender: { type: "agent", id: "ag-1" } },
};

describe("8x8 event log: webhooks in", () => {
  it("records an accepted delivery with its type, conversation, event id, attempt and the verified body, never its signature", async () => {
    const sink = collectingSink();
    const h = await createReceiverHarness({ eventLog: sink });
    const delivery = h.deliver(agentMessage, { eventId: "evt-log-1", retry: 2 });
    await delivery;
    expect(sink.entries).toEqual([
      {
        at: expect.any(Date),
        direction: "in",
        type: "MESSAGE",
        providerId: h.providerId,
        conversationId: "cv_log_1",
        eventId: "evt-log-1",
        status: "200",
        outcome: "accepted",
        durationMs: expect.any(Number),
        attempt: 3,
        errorCode: null,
        method: null,
        path: null,
        body: JSON.stringify(agentMessage),
        bodyBytes: Buffer.byteLength(JSON.stringify(agentMessage)),
        bodyTruncated: false,
        replayOf: null,
      },
    ]);
    await h.receiver.idle();
  });

  it("records a duplicate as such, and a refused signature without body, conversation or signature", async () => {
    const sink = collectingSink();
    const h = await createReceiverHarness({ eventLog: sink });
    await h.deliver(agentMessage, { eventId: "evt-log-dup" });
    await h.deliver(agentMessage, { eventId: "evt-log-dup", retry: 1 });
    // 8x8's headers and signature over one body, sent with another: the signature no longer matches.
    const original = signedDelivery({
      key: h.key,
      transmissionTime: h.now(),
      body: agentMessage,
      eventId: "evt-log-tampered",
    });
    const tampered = Buffer.from(JSON.stringify({ ...agentMessage, data: { text: "pay me" } }));
    const error = await rejectionOf(h.handle({ ...original, rawBody: tampered }));
    expect(error.code).toBe("BATON_ERR_WEBHOOK_SIGNATURE_INVALID");

    const [first, duplicate, refused] = sink.entries;
    expect(first).toMatchObject({ eventId: "evt-log-dup", outcome: "accepted", attempt: 1 });
    expect(duplicate).toMatchObject({
      eventId: "evt-log-dup",
      status: "200",
      outcome: "duplicate",
      attempt: 2,
    });
    expect(refused).toEqual(
      expect.objectContaining({
        type: "unknown",
        eventId: "evt-log-tampered",
        status: "401",
        outcome: "rejected_signature",
        errorCode: "BATON_ERR_WEBHOOK_SIGNATURE_INVALID",
        conversationId: null,
        body: null,
        bodyBytes: null,
      }),
    );
    const everything = JSON.stringify(sink.entries);
    const signature = original.headers["x-8x8-signature"]!;
    expect(everything).not.toContain(signature.split("..")[1]!);
    expect(everything).not.toContain("pay me");
    await h.receiver.idle();
  });

  it("records WEB_HOOK_VERIFY without a body, and cuts a body longer than the cap", async () => {
    const sink = collectingSink(40);
    const h = await createReceiverHarness({ eventLog: sink });
    await h.handle({ rawBody: Buffer.from('{"eventType":"WEB_HOOK_VERIFY"}'), headers: {} });
    await h.deliver(agentMessage, { eventId: "evt-log-long" });
    const raw = JSON.stringify(agentMessage);
    expect(sink.entries[0]).toMatchObject({
      type: "WEB_HOOK_VERIFY",
      status: "204",
      outcome: "verify",
      body: null,
    });
    expect(sink.entries[1]).toMatchObject({
      body: raw.slice(0, 40),
      bodyBytes: Buffer.byteLength(raw),
      bodyTruncated: true,
    });
    await h.receiver.idle();
  });

  it("replays a stored body without signature checks: a stored event answers duplicate, with force it is handed on again under a new id", async () => {
    const sink = collectingSink();
    const h = await createReceiverHarness({ eventLog: sink });
    await h.deliver(agentMessage, { eventId: "evt-log-replay" });
    await h.receiver.idle();
    // Days later: the transmission time would be stale now, and there are no headers at all.
    h.advanceClock(3 * 24 * 3_600_000);
    const rawBody = Buffer.from(JSON.stringify(agentMessage));
    const again = await h.receiver.replay({ rawBody, eventId: "evt-log-replay", replayOf: 41 });
    expect(again).toEqual({ outcome: "duplicate", eventType: "MESSAGE", eventId: "evt-log-replay" });
    const forced = await h.receiver.replay({ rawBody, eventId: "evt-log-replay", force: true, replayOf: 41 });
    expect(forced.outcome).toBe("accepted");
    expect(forced.eventId).toMatch(/^evt-log-replay:replay:[0-9a-f]{8}$/);
    await h.receiver.idle();
    expect(h.handed.map((e) => [e.eventId, e.replayOf])).toEqual([
      ["evt-log-replay", undefined],
      [forced.eventId, "evt-log-replay"],
    ]);
    expect((await h.store.webhookEvents.find(h.providerId, forced.eventId))?.status).toBe("processed");
    expect(sink.entries.slice(1).map((e) => [e.outcome, e.eventId, e.replayOf])).toEqual([
      ["duplicate", "evt-log-replay", 41],
      ["accepted", forced.eventId, 41],
    ]);
  });
});

describe("8x8 event log: a forced replay stays one across a restart", () => {
  it("marks an event stored under a replay id as a replay when it is handed on from the store", async () => {
    const h = await createReceiverHarness();
    const body = JSON.stringify(agentMessage);
    await h.store.webhookEvents.recordIfNew({
      providerId: h.providerId,
      eventId: "evt-orig:replay:0123abcd",
      eventType: "MESSAGE",
      conversationId: agentMessage.conversationId,
      eventTimestamp: agentMessage.timestamp,
      retry: 0,
      body,
    });
    await h.receiver.start();
    await h.receiver.idle();
    expect(h.handed.map((e) => [e.eventId, e.replayOf])).toEqual([["evt-orig:replay:0123abcd", "evt-orig"]]);
  });
});

describe("8x8 event log: calls out", () => {
  it("records each attempt with operation, method, path, status, duration and attempt number, never the API key or the body", async () => {
    const sink = collectingSink();
    const { client } = createTestClient(stub.url, {
      providerId: "eight",
      onAttempt: outboundRecorder("eight", sink),
    });
    stub.enqueue(
      { status: 201, body: { conversationId: "cv_created_1" } },
      { status: 503 },
      { status: 201, body: { messageId: "m-1" } },
      { status: 404, body: { errors: [{ message: "no such conversation" }] } },
    );
    await client.conversations.create(
      { channelId: "25", user: { name: "Ana", email: "ana@example.org" } },
      { retry: false },
    );
    await client.messages.send("cv_created_1", { authorType: "user", text: "my secret invoice text" });
    await expect(
      client.messages.send("cv_gone", { authorType: "user", text: "hello?" }, { retry: false }),
    ).rejects.toThrow();
    await client.close();

    expect(
      sink.entries.map((e) => [
        e.type,
        e.method,
        e.path,
        e.conversationId,
        e.status,
        e.outcome,
        e.attempt,
        e.errorCode,
      ]),
    ).toEqual([
      [
        "conversations.create",
        "POST",
        "/chat-gateway/v1/conversations",
        "cv_created_1",
        "201",
        "ok",
        1,
        null,
      ],
      [
        "messages.send",
        "POST",
        "/chat-gateway/v1/conversations/cv_created_1/messages",
        "cv_created_1",
        "503",
        "unavailable",
        1,
        "BATON_ERR_8X8_UNAVAILABLE",
      ],
      [
        "messages.send",
        "POST",
        "/chat-gateway/v1/conversations/cv_created_1/messages",
        "cv_created_1",
        "201",
        "ok",
        2,
        null,
      ],
      [
        "messages.send",
        "POST",
        "/chat-gateway/v1/conversations/cv_gone/messages",
        "cv_gone",
        "404",
        "rejected",
        1,
        "BATON_ERR_8X8_REQUEST_REJECTED",
      ],
    ]);
    for (const e of sink.entries) {
      expect(e).toMatchObject({ direction: "out", providerId: "eight", body: null, eventId: null });
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    const everything = JSON.stringify(sink.entries);
    expect(everything).not.toContain(testApiKey);
    expect(everything).not.toContain("my secret invoice text");
    expect(everything).not.toContain("ana@example.org");
  });

  it("records network failures and keeps the query out of the path", async () => {
    const sink = collectingSink();
    const { client } = createTestClient("http://127.0.0.1:9", {
      retry: { maxAttempts: 2 },
      onAttempt: outboundRecorder("eight", sink),
    });
    await expect(client.conversations.list({ size: 5, filter: "state==ACTIVE" })).rejects.toThrow();
    await client.close();
    expect(sink.entries.map((e) => [e.type, e.path, e.status, e.outcome, e.attempt])).toEqual([
      ["conversations.list", "/chat-gateway/v1/conversations", "network", "unavailable", 1],
      ["conversations.list", "/chat-gateway/v1/conversations", "network", "unavailable", 2],
    ]);
  });
});
