import { describe, expect, it } from "vitest";
import { createRedisBus } from "../../src/bus/redis.ts";
import { runBusContract } from "../contracts/bus-contract.ts";
import { redisUrl, uniqueSchema } from "./service-urls.ts";

runBusContract("Redis", () => createRedisBus(redisUrl, { prefix: `${uniqueSchema("baton")}:` }));

describe("Redis bus across instances", () => {
  it("delivers between two instances and lets only one hold a key at a time", async () => {
    const prefix = `${uniqueSchema("baton")}:`;
    const a = await createRedisBus(redisUrl, { prefix });
    const b = await createRedisBus(redisUrl, { prefix });
    try {
      const seen: unknown[] = [];
      await b.subscribe("topic", (m) => seen.push(m));
      await a.publish("topic", { from: "a" });
      await expect.poll(() => seen).toEqual([{ from: "a" }]);

      let inside = 0;
      let maxInside = 0;
      const hold = (bus: typeof a) =>
        bus.withLock("conversation-1", async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside -= 1;
        });
      await Promise.all([hold(a), hold(b), hold(a), hold(b)]);
      expect(maxInside).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
