import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capBody, createEventLogRecorder } from "../../../src/eventlog/recorder.ts";
import { createStore, type Store } from "../../../src/store/index.ts";
import type { NewEventLogEntry } from "../../../src/store/types.ts";
import { createLogger, createSilentLogger } from "../../../src/telemetry/logger.ts";
import { waitFor } from "../../factories/wait-for.ts";

let store: Store;
beforeAll(async () => {
  store = await createStore("pglite://memory");
  await store.migrate();
});
afterAll(async () => {
  await store.close();
});

let providers = 0;
/** Each test writes under its own provider id, so the shared store's rows stay apart. */
function newProvider(): string {
  providers += 1;
  return `log-${providers}`;
}

function entry(providerId: string, overrides: Partial<NewEventLogEntry> = {}): NewEventLogEntry {
  return {
    at: new Date(),
    direction: "out",
    type: "messages.send",
    providerId,
    conversationId: "conv-1",
    eventId: null,
    status: "201",
    outcome: "ok",
    durationMs: 4,
    attempt: 1,
    errorCode: null,
    method: "POST",
    path: "/chat-gateway/v1/conversations/conv-1/messages",
    body: null,
    bodyBytes: null,
    bodyTruncated: false,
    replayOf: null,
    ...overrides,
  };
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: "debug" }) };
}

const stored = async (providerId: string) => store.eventLog.list({ providerId, limit: 200 });

describe("event log recorder", () => {
  it("only buffers on record (nothing is written on the caller's path) and writes everything in batches on flush", async () => {
    const providerId = newProvider();
    const recorder = createEventLogRecorder({
      repository: store.eventLog,
      logger: createSilentLogger(),
      batchSize: 7,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 5; i += 1) recorder.record(entry(providerId, { attempt: i + 1 }));
    expect(recorder.stats()).toEqual({ buffered: 5, written: 0, dropped: 0 });
    expect(await stored(providerId)).toEqual([]);
    for (let i = 5; i < 20; i += 1) recorder.record(entry(providerId, { attempt: i + 1 }));
    await recorder.flush();
    expect(recorder.stats()).toEqual({ buffered: 0, written: 20, dropped: 0 });
    expect((await stored(providerId)).map((e) => e.attempt).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    await recorder.close();
  });

  it("writes by itself on its interval once started", async () => {
    const providerId = newProvider();
    const recorder = createEventLogRecorder({
      repository: store.eventLog,
      logger: createSilentLogger(),
      flushIntervalMs: 20,
    });
    recorder.start();
    recorder.record(entry(providerId));
    await waitFor(async () => (await stored(providerId)).length === 1, 5_000, "the entry written");
    await recorder.close();
  });

  it("keeps at most bufferSize entries; the rest are dropped, counted and logged once, and delivery is not slowed", async () => {
    const providerId = newProvider();
    const { lines, logger } = capturingLogger();
    const recorder = createEventLogRecorder({
      repository: store.eventLog,
      logger,
      bufferSize: 10,
      batchSize: 1_000,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 25; i += 1) recorder.record(entry(providerId));
    expect(recorder.stats()).toEqual({ buffered: 10, written: 0, dropped: 15 });
    const warnings = lines.filter((l) => String(l["msg"]).includes("buffer full"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, dropped: 1, bufferSize: 10 });
    await recorder.close();
    expect(recorder.stats()).toEqual({ buffered: 0, written: 10, dropped: 15 });
    expect(await stored(providerId)).toHaveLength(10);
    // At close the drops not yet reported get their own line, with the total.
    expect(lines.filter((l) => String(l["msg"]).includes("buffer full")).at(-1)).toMatchObject({
      dropped: 14,
      droppedTotal: 15,
    });
  });

  it("drops a batch the store refuses, logs it once, writes the other batches, and never throws to the caller", async () => {
    const providerId = newProvider();
    const { lines, logger } = capturingLogger();
    const recorder = createEventLogRecorder({ repository: store.eventLog, logger, batchSize: 2 });
    // PostgreSQL refuses NUL in text: the second batch fails in the store itself.
    const poison = entry(providerId, { type: "bad\u0000type" });
    for (const e of [entry(providerId), entry(providerId), poison, entry(providerId), entry(providerId)])
      recorder.record(e);
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(recorder.stats()).toEqual({ buffered: 0, written: 3, dropped: 2 });
    expect(await stored(providerId)).toHaveLength(3);
    const warnings = lines.filter((l) => String(l["msg"]).includes("could not be written"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, lost: 2 });
    await recorder.close();
  });

  it("writes what is buffered when closed and ignores entries after that", async () => {
    const providerId = newProvider();
    const recorder = createEventLogRecorder({
      repository: store.eventLog,
      logger: createSilentLogger(),
      flushIntervalMs: 60_000,
    });
    recorder.start();
    recorder.record(entry(providerId));
    await recorder.close();
    await recorder.close();
    recorder.record(entry(providerId));
    expect(await stored(providerId)).toHaveLength(1);
    expect(recorder.stats().buffered).toBe(0);
  });

  it("records nothing when disabled", async () => {
    const providerId = newProvider();
    const recorder = createEventLogRecorder({
      repository: store.eventLog,
      logger: createSilentLogger(),
      enabled: false,
    });
    recorder.start();
    recorder.record(entry(providerId));
    await recorder.close();
    expect(recorder.stats()).toEqual({ buffered: 0, written: 0, dropped: 0 });
    expect(await stored(providerId)).toEqual([]);
  });

  it("prunes what is older than the retention, in batches, and keeps the rest", async () => {
    const providerId = newProvider();
    const now = Date.UTC(2030, 0, 10, 12);
    const hoursAgo = (hours: number) => new Date(now - hours * 3_600_000);
    await store.eventLog.append([
      ...[100, 90, 80, 73].map((hours) => entry(providerId, { at: hoursAgo(hours) })),
      entry(providerId, { at: hoursAgo(71) }),
      entry(providerId, { at: hoursAgo(1) }),
    ]);
    const recorder = createEventLogRecorder({
      repository: store.eventLog,
      logger: createSilentLogger(),
      retentionHours: 72,
      pruneBatchSize: 3,
      clock: () => now,
    });
    expect(await recorder.prune()).toBeGreaterThanOrEqual(4);
    const left = await stored(providerId);
    expect(left.map((e) => Math.round((now - e.at.getTime()) / 3_600_000))).toEqual([1, 71]);
    await recorder.close();
  });
});

describe("capBody", () => {
  it("keeps a body within the cap as it is", () => {
    expect(capBody(Buffer.from('{"a":"Olá"}'), 100)).toEqual({
      body: '{"a":"Olá"}',
      bodyBytes: 12,
      bodyTruncated: false,
    });
  });

  it("cuts a longer body at a character boundary and says how long it was", () => {
    const raw = Buffer.from("ab✓✓", "utf8"); // 2 + 3 + 3 bytes
    expect(capBody(raw, 4)).toEqual({ body: "ab", bodyBytes: 8, bodyTruncated: true });
    expect(capBody(raw, 5)).toEqual({ body: "ab✓", bodyBytes: 8, bodyTruncated: true });
    expect(capBody(raw, 0)).toEqual({ body: "", bodyBytes: 8, bodyTruncated: true });
  });
});
