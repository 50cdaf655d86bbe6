import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bus } from "../../src/bus/types.ts";
import { waitFor } from "../factories/wait-for.ts";

/** What every Bus must do, written once: run against memory in `npm test`, Redis in the services suite. */
export function runBusContract(name: string, open: () => Promise<Bus>): void {
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

    it("does not make different keys wait for each other", async () => {
      let release!: () => void;
      const blocker = bus.withLock(`${topic}-1`, () => new Promise<void>((resolve) => (release = resolve)));
      await expect(bus.withLock(`${topic}-2`, () => Promise.resolve("free"))).resolves.toBe("free");
      release();
      await blocker;
    });

    it("answers ping while open", async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
    });
  });
}
