import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { Writable } from "node:stream";
import { createStore } from "../../../src/store/index.ts";
import type { Store } from "../../../src/store/types.ts";
import { createLogger, type Logger } from "../../../src/telemetry/logger.ts";

/** One in-memory PGlite store per test file (starting PGlite takes a second or two). */
export async function openRuntimeStore(): Promise<Store> {
  const store = await createStore("pglite://memory");
  await store.migrate();
  return store;
}

const farFuture = new Date("3000-01-01T00:00:00Z");

/** Ends whatever earlier tests of the file left pending, so each test sees only its own items and timers. */
export async function drainStore(store: Store): Promise<void> {
  for (;;) {
    const items = await store.outbox.claimNext({ now: farFuture, limit: 100 });
    for (const item of items) await store.outbox.complete(item.id);
    const timers = await store.timers.claimDue(farFuture, 100);
    for (const timer of timers) await store.timers.markFired(timer.id);
    if (items.length === 0 && timers.length === 0) return;
  }
}

/** A clock that moves only when told; starts at the real time so store defaults (now()) are in the past. */
export function manualClock(): { now: () => number; advance: (ms: number) => void; readonly start: number } {
  const start = Date.now();
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    start,
  };
}

export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A logger whose JSON lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: createLogger({ destination, level: "debug" }), lines };
}

let counter = 0;
/** A name no other test of the run uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(16).slice(2, 8)}`;
}

/** A handler's resolved promise after a synchronous effect: `(payload) => settled(sent.push(payload))`. */
export function settled(_effect: unknown): Promise<void> {
  return Promise.resolve();
}

/** A handler from a synchronous body: its return resolves, its throw rejects. */
export function fromSync<A extends unknown[]>(body: (...args: A) => void): (...args: A) => Promise<void> {
  return (...args) => {
    try {
      body(...args);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
}

/**
 * One PGlite store per test file (PGlite takes seconds to start), drained before each test; the runners a
 * test pushes into `running` are stopped after it.
 *
 * @example
 * let store: Store;
 * const workers: OutboxWorker[] = [];
 * useRuntimeStore((opened) => (store = opened), workers);
 */
export function useRuntimeStore(
  assign: (store: Store) => void,
  running: { stop(): Promise<unknown> }[],
): void {
  let opened: Store | undefined;
  beforeAll(async () => {
    opened = await openRuntimeStore();
    assign(opened);
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    if (opened !== undefined) await drainStore(opened);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });
}
