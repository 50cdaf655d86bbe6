import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bus } from "../../src/bus/types.ts";
import { waitFor } from "../factories/wait-for.ts";

export interface BusContractOptions {
  /**
   * Breaks `bus`'s subscriber connection the way a network blip or a Redis restart does (Redis: CLIENT KILL
   * of that one connection), for buses that can lose messages at all. The memory bus cannot.
   */
  readonly dropSubscriber?: (bus: Bus) => Promise<void>;
}

/** What every Bus must do, written once: run against memory in `npm test`, Redis in the services suite. */
export function runBusContract(
  name: string,
  open: () => Promise<Bus>,
  options: BusContractOptions = {},
): void {
  describe(`bus contract: ${name}`, () => {
    let bus: Bus;
    let topic = "";
    beforeEach(async () => {
      bus = await open();
      topic = `t-${Math.random().toString(16).slice(2)}`;
    });
    afterEach(() => bus.close());

    it("delivers a published message to every subscriber of the topic, as a copy", async () => {
      const a: unknown[] = [];
      const b: unknown[] = [];
      await bus.subscribe(topic, (m) => a.push(m));
      await bus.subscribe(topic, (m) => b.push(m));
      const sent = { n: 1, nested: { ok: true } };
      await bus.publish(topic, sent);
      await waitFor(() => a.length === 1 && b.length === 1, 2_000, "both subscribers");
      expect(a[0]).toEqual(sent);
      expect(a[0]).not.toBe(sent);
    });

    it("does not deliver to other topics or after unsubscribing", async () => {
      const seen: unknown[] = [];
      const stop = await bus.subscribe(topic, (m) => seen.push(m));
      await bus.publish(`${topic}-other`, { wrong: true });
      await bus.publish(topic, { n: 1 });
      await waitFor(() => seen.length === 1, 2_000, "the first message");
      await stop();
      await bus.publish(topic, { n: 2 });
      await bus.publish(topic, { n: 3 });
      const marker: unknown[] = [];
      await bus.subscribe(topic, (m) => marker.push(m));
      await bus.publish(topic, { n: 4 });
      await waitFor(() => marker.length === 1, 2_000, "the marker message");
      expect(seen).toEqual([{ n: 1 }]);
    });

    it("keeps the order of messages on one topic", async () => {
      const seen: number[] = [];
      await bus.subscribe(topic, (m) => seen.push((m as { n: number }).n));
      for (let n = 0; n < 20; n++) await bus.publish(topic, { n });
      await waitFor(() => seen.length === 20, 2_000, "twenty messages");
      expect(seen).toEqual([...Array(20).keys()]);
    });

    it("runs lock holders of one key one at a time, in arrival order, even when one fails", async () => {
      const order: string[] = [];
      let inside = 0;
      const hold = (label: string, fail = false) =>
        bus.withLock(topic, async () => {
          inside += 1;
          expect(inside).toBe(1);
          order.push(`${label}:in`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(`${label}:out`);
          inside -= 1;
          if (fail) throw new Error(label);
          return label;
        });
      const results = await Promise.allSettled([hold("a"), hold("b", true), hold("c")]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(order).toEqual(["a:in", "a:out", "b:in", "b:out", "c:in", "c:out"]);
    });

    it("gives every holder of a key a fencing token above the tokens of all earlier holders", async () => {
      const tokens: number[] = [];
      const hold = () =>
        bus.withLock(topic, async (lock) => {
          expect(lock.key).toBe(topic);
          tokens.push(lock.token);
          await new Promise((resolve) => setTimeout(resolve, 1));
        });
      // Queued holders (they wait for each other) and holders one after another.
      await Promise.all([hold(), hold(), hold(), hold()]);
      for (let i = 0; i < 4; i++) await hold();
      expect(tokens).toHaveLength(8);
      for (const token of tokens) expect(Number.isSafeInteger(token) && token > 0).toBe(true);
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    });

    it("keeps a key's tokens rising while other keys take tokens too", async () => {
      const seen: number[] = [];
      for (let round = 0; round < 3; round++) {
        await bus.withLock(`${topic}-other`, () => Promise.resolve());
        seen.push(await bus.withLock(topic, (lock) => Promise.resolve(lock.token)));
      }
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(new Set(seen).size).toBe(3);
    });

    it("does not make different keys wait for each other", async () => {
      let release!: () => void;
      const blocker = bus.withLock(`${topic}-1`, () => new Promise<void>((resolve) => (release = resolve)));
      await expect(bus.withLock(`${topic}-2`, () => Promise.resolve("free"))).resolves.toBe("free");
      release();
      await blocker;
    });

    it("counts a key's connections as they join and leave, never below none, apart from other keys", async () => {
      const { presence } = bus;
      await presence.join(topic);
      await presence.join(topic);
      await presence.join(`${topic}-other`);
      expect(await presence.count(topic)).toBe(2);
      expect(await presence.leave(topic)).toBe(1);
      expect(await presence.leave(topic)).toBe(0);
      expect(await presence.leave(topic)).toBe(0);
      expect(await presence.count(topic)).toBe(0);
      expect(await presence.count(`${topic}-other`)).toBe(1);
    });

    it("marks a key away once, only while nobody is connected, and hands the mark to the next join", async () => {
      const { presence } = bus;
      await presence.join(topic);
      expect(await presence.markAwayIfAbsent(topic)).toBe(false);
      await presence.leave(topic);
      expect(await presence.markAwayIfAbsent(topic)).toBe(true);
      expect(await presence.markAwayIfAbsent(topic)).toBe(false);
      expect(await presence.join(topic)).toEqual({ wasAway: true });
      expect(await presence.join(topic)).toEqual({ wasAway: false });
      expect(await presence.join(`${topic}-never-away`)).toEqual({ wasAway: false });
    });

    it("gives the away mark to exactly one of many joins at once", async () => {
      const { presence } = bus;
      expect(await presence.markAwayIfAbsent(topic)).toBe(true);
      const joins = await Promise.all(Array.from({ length: 10 }, () => presence.join(topic)));
      expect(joins.filter((j) => j.wasAway)).toHaveLength(1);
      expect(await presence.count(topic)).toBe(10);
    });

    it("answers ping while open", async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
    });

    it("does not tell a subscriber it may have missed messages while nothing was lost", async () => {
      const seen: number[] = [];
      let missed = 0;
      await bus.subscribe(topic, (m) => seen.push((m as { n: number }).n), { onMissed: () => (missed += 1) });
      for (let n = 0; n < 20; n++) await bus.publish(topic, { n });
      await waitFor(() => seen.length === 20, 2_000, "twenty messages");
      expect(missed).toBe(0);
    });

    const { dropSubscriber } = options;
    if (dropSubscriber !== undefined) {
      it("tells every subscriber once its dropped subscription is active again, and delivers what follows", async () => {
        const seen: unknown[] = [];
        const other: unknown[] = [];
        const told: string[] = [];
        await bus.subscribe(topic, (m) => seen.push(m), {
          // Published from inside the call: the subscription is active by then, so this one arrives.
          onMissed: () => {
            told.push(topic);
            bus.publish(topic, { after: "the notice" }).catch((error: unknown) => {
              told.push(`the publish failed: ${String(error)}`);
            });
          },
        });
        await bus.subscribe(`${topic}-other`, (m) => other.push(m), { onMissed: () => told.push("other") });
        await bus.subscribe(`${topic}-plain`, () => {});
        await dropSubscriber(bus);
        await waitFor(() => told.length >= 2, 10_000, "both subscribers told");
        expect(new Set(told)).toEqual(new Set([topic, "other"]));
        await waitFor(() => seen.length > 0, 5_000, "the message published from onMissed");
        expect(seen[0]).toEqual({ after: "the notice" });
        await bus.publish(`${topic}-other`, { n: 1 });
        await waitFor(() => other.length === 1, 5_000, "a message after the reconnect");
      });
    }
  });
}
