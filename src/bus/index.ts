import type { Logger } from "../telemetry/logger.ts";
import { createMemoryBus } from "./memory.ts";
import { createRedisBus } from "./redis.ts";
import type { Bus } from "./types.ts";

export type { Bus, BusHandler, HeldLock, SubscribeOptions } from "./types.ts";

export interface BusOptions {
  /** Where the Redis bus reports connection errors and recoveries; the memory bus has none to report. */
  readonly logger?: Logger;
}

/** Opens the bus named by the `bus:` setting: `memory` (one process) or `redis://host:port`. */
export async function createBus(url: string, options: BusOptions = {}): Promise<Bus> {
  if (url === "memory") return createMemoryBus();
  return createRedisBus(url, { logger: options.logger });
}
