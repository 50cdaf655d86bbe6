import { describe, expect, it, onTestFinished } from "vitest";
import { createStore } from "../../src/store/index.ts";
import { freePort } from "../factories/embedded-gateway.ts";
import { startPostgresServer } from "../factories/postgres-server.ts";

/** Whether the store answers now. */
const answers = (store: { ping(): Promise<void> }) =>
  store.ping().then(
    () => true,
    () => false,
  );

/**
 * A PostgreSQL restart ends every connection of the store's pool, and pg reports each as an 'error' event:
 * unheard, one would end the process (vitest reports it as an unhandled error and fails the run). The
 * store must instead fail the calls under way and work again once the database is back.
 */
describe("PostgreSQL store across a database restart", () => {
  it("survives the restart with idle and checked-out connections, and answers again afterwards", async () => {
    const postgres = await startPostgresServer(await freePort());
    const store = await createStore(postgres.url);
    onTestFinished(() => store.close());
    await store.migrate();
    // Several idle connections in the pool.
    await Promise.all([store.ping(), store.ping(), store.ping()]);

    // One connection checked out by an open transaction while the server goes away.
    let inTransaction!: () => void;
    const holding = new Promise<void>((resolve) => (inTransaction = resolve));
    let stopped!: () => void;
    const serverGone = new Promise<void>((resolve) => (stopped = resolve));
    const transaction = store.transaction(async (tx) => {
      await tx.webhookEvents.listPending("eight");
      inTransaction();
      await serverGone;
      await tx.webhookEvents.listPending("eight");
    });
    await holding;
    await postgres.stopFast();
    stopped();
    await expect(transaction).rejects.toThrow();
    expect(await answers(store)).toBe(false);

    await postgres.start();
    await expect.poll(() => answers(store), { timeout: 15_000, interval: 100 }).toBe(true);
    await expect(store.webhookEvents.listPending("eight")).resolves.toEqual([]);
  });
});
