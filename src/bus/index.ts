import { createMemoryBus } from "./memory.ts";
import { createRedisBus } from "./redis.ts";
import type { Bus } from "./types.ts";

export type { Bus, BusHandler } from "./types.ts";

/** Opens the bus named by the `bus:` setting: `memory` (one process) or `redis://host:port`. */
export async function createBus(url: string): Promise<Bus> {
  if (url === "memory") return createMemoryBus();
  return createRedisBus(url);
}
