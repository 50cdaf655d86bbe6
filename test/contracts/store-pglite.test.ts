import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/store/index.ts";
import { runStoreContract, webhookEvent } from "./store-contract.ts";

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "baton-pglite-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

runStoreContract("PGlite (files on disk)", async () => createStore(`pglite://${await freshDir()}`));

describe("PGlite store", () => {
  it("keeps events across a close and reopen of the same directory", async () => {
    const dir = await freshDir();
    const event = webhookEvent();
    const first = await createStore(`pglite://${dir}`);
    await first.migrate();
    await first.webhookEvents.recordIfNew(event);
    await first.close();

    const second = await createStore(`pglite://${dir}`);
    try {
      expect(await second.migrate()).toEqual({ applied: [] });
      expect((await second.webhookEvents.listPending("eight")).map((e) => e.eventId)).toEqual([
        event.eventId,
      ]);
    } finally {
      await second.close();
    }
  });

  it("resolves a relative directory against the given base directory", async () => {
    const base = await freshDir();
    const store = await createStore("pglite://data/db", { baseDir: base });
    try {
      await store.migrate();
      const { stat } = await import("node:fs/promises");
      expect((await stat(join(base, "data/db"))).isDirectory()).toBe(true);
    } finally {
      await store.close();
    }
  });
});
