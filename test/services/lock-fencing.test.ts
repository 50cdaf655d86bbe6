import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createRedisBus } from "../../src/bus/redis.ts";
import type { HeldLock } from "../../src/bus/types.ts";
import { isBatonError } from "../../src/errors/index.ts";
import { createStore, type Store } from "../../src/store/index.ts";
import { startFreezableTcpProxy } from "../factories/freezable-tcp-proxy.ts";
import { postgresUrl, redisUrl, uniqueSchema } from "./service-urls.ts";

const schema = uniqueSchema("baton_fencing");
let store: Store;

beforeAll(async () => {
  const url = new URL(postgresUrl);
  url.searchParams.set("schema", schema);
  store = await createStore(url.toString());
  await store.migrate();
});

afterAll(async () => {
  await store.close();
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A write to the session as a turn makes it: fenced with the holder's token first, in one transaction. */
function writeAs(sessionKey: string, lock: HeldLock, by: string): Promise<void> {
  return store.transaction(async (tx) => {
    await tx.sessions.fence(sessionKey, lock.token);
    await tx.sessions.updateFlow(sessionKey, { context: { by }, flowState: null });
  });
}

describe("the session lock's fencing token on PostgreSQL + Redis", () => {
  it("refuses the late write of a holder whose lock expired while it was stalled; its successor's write lands", async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    // Instance A reaches Redis through a proxy the test can freeze: its renewals stop arriving, as they would
    // during a long GC pause, a blocked event loop or a partition. Instance B reaches Redis directly.
    const proxy = await startFreezableTcpProxy(redisUrl);
    const a = await createRedisBus(proxy.url, { prefix, lockTtlMs: 300 });
    const b = await createRedisBus(redisUrl, { prefix, lockTtlMs: 300 });
    onTestFinished(async () => {
      proxy.thaw();
      await Promise.all([a.close(), b.close()]);
    });
    const { session } = await store.sessions.getOrCreate({ endpointId: "web", userId: "u", sessionId: "s" });
    const key = `session-lock:${session.id}`;

    const aHolds = deferred<HeldLock>();
    const aMayGoOn = deferred();
    const aWrites = a.withLock(key, async (lock) => {
      aHolds.resolve(lock);
      await aMayGoOn.promise; // the stall: A holds the lock and does nothing until the test lets it go on
      await writeAs(session.id, lock, "A, after its stall");
    });
    const aLock = await aHolds.promise;

    proxy.freeze();
    // B waits for the lock: it gets it once A's TTL ran out without a renewal.
    const bLock = await b.withLock(key, async (lock) => {
      await writeAs(session.id, lock, "B");
      return lock;
    });
    expect(bLock.token).toBeGreaterThan(aLock.token);

    proxy.thaw();
    aMayGoOn.resolve();
    const refused: unknown = await aWrites.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isBatonError(refused) && refused.code).toBe("BATON_ERR_LOCK_LOST");
    expect(isBatonError(refused) && refused.details).toMatchObject({
      token: aLock.token,
      writtenBy: bLock.token,
    });
    expect((await store.sessions.get(session.id))?.context).toEqual({ by: "B" });

    // The next holder of the key, on either instance, writes again.
    await a.withLock(key, (lock) => writeAs(session.id, lock, "A, with a fresh lock"));
    expect((await store.sessions.get(session.id))?.context).toEqual({ by: "A, with a fresh lock" });
  });
});
