import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { BatonError, errorCatalog, isBatonError } from "../errors/index.ts";
import type { NewInstance, Store, StoredInstance } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";

/** How instances tell each other they are alive. */
export interface InstanceTiming {
  /** How often an instance refreshes its row. */
  readonly beatIntervalMs: number;
  /**
   * An instance silent this long (the database's clock) counts as gone: its outbox claims are taken over and
   * it no longer counts for the bus check. Several beats, so one slow beat under load is not a death.
   */
  readonly staleAfterMs: number;
}

/** The one place the liveness threshold is decided; the outbox's takeover and the bus check both use it. */
export const defaultInstanceTiming: InstanceTiming = { beatIntervalMs: 2_000, staleAfterMs: 8_000 };

/** A row silent this long is deleted by the next live instance (kept a day so operators can see a crash). */
const forgetSilentAfterMs = 24 * 60 * 60 * 1000;
/** How many beats between two clean-ups of forgotten rows. */
const cleanupEveryBeats = 30;

export type BusKind = NewInstance["bus"];

/** The bus kind a `bus:` setting names. */
export function busKindOf(busSetting: string): BusKind {
  return busSetting === "memory" ? "memory" : "redis";
}

export interface InstanceOptions {
  readonly store: Pick<Store, "instances" | "dialect">;
  readonly logger: Logger;
  readonly bus: BusKind;
  readonly timing?: Partial<InstanceTiming>;
  /** Defaults: a random UUID, os.hostname(), process.pid. */
  readonly id?: string;
  readonly host?: string;
  readonly pid?: number;
}

/** This process as the other instances see it. */
export interface Instance {
  readonly id: string;
  readonly timing: InstanceTiming;
  /**
   * Stops beating and removes the row, so others take over at once whatever this instance still holds.
   * `keepRow: true` (work is still running here) leaves the row to go silent instead: its claims are then
   * taken over only once the running calls have had `staleAfterMs` to end.
   */
  stop(options?: { readonly keepRow?: boolean }): Promise<void>;
}

/**
 * Registers this gateway in the store and keeps its heartbeat fresh. On a shared store (PostgreSQL) it first
 * refuses to run beside another live instance when either of them uses `bus: memory`: the memory bus reaches
 * only its own process, so live events (an agent's message for a user whose socket is on the other
 * instance) would silently go nowhere. PGlite is one process by nature and skips the check.
 *
 * A beat that fails is logged and tried again at the next one; a row deleted meanwhile is written again.
 *
 * @example
 * const instance = await startInstance({ store, logger, bus: busKindOf(config.bus) });
 * const worker = createOutboxWorker({ store, logger, instanceId: instance.id, staleAfterMs: instance.timing.staleAfterMs });
 * // on close: await worker.stop(); await instance.stop();
 */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const { store, logger } = options;
  const timing: InstanceTiming = { ...defaultInstanceTiming, ...options.timing };
  const self: NewInstance = {
    id: options.id ?? randomUUID(),
    bus: options.bus,
    host: options.host ?? hostname(),
    pid: options.pid ?? process.pid,
  };
  const shared = store.dialect === "postgres";
  await store.instances.register(self);
  const reported = new Set<string>();
  let beats = 0;
  let failing = false;
  let beating: Promise<void> | undefined;

  async function beat(): Promise<void> {
    try {
      if (!(await store.instances.beat(self.id))) {
        logger.warn({ instanceId: self.id }, "instance row was gone; registering again");
        await store.instances.register(self);
      }
      beats += 1;
      if (beats % cleanupEveryBeats === 0) await store.instances.removeSilent(forgetSilentAfterMs);
      if (shared) await reportConflicts();
      if (failing) logger.info({ instanceId: self.id }, "instance heartbeat recovered");
      failing = false;
    } catch (error) {
      // Not fatal: others take this instance's claims over only after `staleAfterMs` of silence.
      if (!failing) {
        logger.error(
          { err: error, code: isBatonError(error) ? error.code : undefined, instanceId: self.id },
          "instance heartbeat failed; trying again at the next beat",
        );
      }
      failing = true;
    }
  }

  /**
   * A running instance learns of a conflict the start check could not see (both started at once while the
   * store was unreachable, say): logged once per other instance.
   */
  async function reportConflicts(): Promise<void> {
    for (const other of conflicting(await store.instances.listLive(timing.staleAfterMs))) {
      // An instance that is still within its own start check is about to refuse: not worth an alarm.
      const runningFor = other.heartbeatAt.getTime() - other.startedAt.getTime();
      if (reported.has(other.id) || runningFor < timing.staleAfterMs) continue;
      reported.add(other.id);
      logger.error(
        { instanceId: self.id, bus: self.bus, other: describe(other) },
        "another live instance shares this store and one of the two uses bus: memory; configure bus: redis://… on every instance",
      );
    }
  }

  function conflicting(live: readonly StoredInstance[]): StoredInstance[] {
    return live.filter((other) => other.id !== self.id && (self.bus === "memory" || other.bus === "memory"));
  }

  const timer = setInterval(() => {
    beating ??= beat().finally(() => (beating = undefined));
  }, timing.beatIntervalMs);
  timer.unref();

  async function stop(stopOptions: { readonly keepRow?: boolean } = {}): Promise<void> {
    clearInterval(timer);
    await beating;
    if (stopOptions.keepRow === true) return;
    try {
      await store.instances.remove(self.id);
    } catch (error) {
      logger.warn({ err: error, instanceId: self.id }, "instance row not removed; it goes silent instead");
    }
  }

  if (shared) {
    try {
      await refuseMemoryBusBesideOthers();
    } catch (error) {
      await stop();
      throw error;
    }
  }
  logger.info({ instanceId: self.id, bus: self.bus, host: self.host, pid: self.pid }, "instance registered");
  return { id: self.id, timing, stop: once(stop) };

  async function refuseMemoryBusBesideOthers(): Promise<void> {
    const seen = conflicting(await store.instances.listLive(timing.staleAfterMs));
    if (seen.length === 0) return;
    // A fresh row may belong to a process that was killed a moment ago (a quick restart after SIGKILL): only
    // an instance whose heartbeat moves on is alive. A live one beats within `staleAfterMs`, so that is the
    // longest this waits; it refuses as soon as one moves.
    const deadline = Date.now() + timing.staleAfterMs;
    let alive: StoredInstance[] = [];
    while (alive.length === 0 && Date.now() < deadline) {
      await delay(timing.beatIntervalMs);
      const now = conflicting(await store.instances.listLive(timing.staleAfterMs));
      if (now.length === 0) return;
      alive = now.filter((other) => {
        const before = seen.find((s) => s.id === other.id);
        return before === undefined || other.heartbeatAt.getTime() > before.heartbeatAt.getTime();
      });
    }
    if (alive.length === 0) return;
    // Host and pid are named in the message too: the CLI prints the message, and they are what an operator
    // needs to find the other process.
    const where = alive.map((other) => `${other.host} pid ${other.pid} (bus ${other.bus})`).join(", ");
    throw new BatonError(
      "BATON_ERR_BUS_MEMORY_SHARED_STORE",
      {
        field: "bus",
        expected: "bus: redis://host:6379 on every instance that shares this store",
        bus: self.bus,
        others: alive.map(describe),
      },
      {
        message: `${errorCatalog.BATON_ERR_BUS_MEMORY_SHARED_STORE.message} Live beside this one: ${where}.`,
      },
    );
  }
}

/** What an operator needs to find the other process. */
function describe(instance: StoredInstance): { id: string; host: string; pid: number; bus: BusKind } {
  return { id: instance.id, host: instance.host, pid: instance.pid, bus: instance.bus };
}

function once<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let running: Promise<void> | undefined;
  return (...args) => (running ??= fn(...args));
}
