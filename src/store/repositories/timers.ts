import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, TimersTable } from "../schema.ts";
import { dbNow, toJson } from "../transactions.ts";
import type { StoredTimer, TimerRepository, TimerStatus } from "../types.ts";

const defaultLeaseMs = 30_000;

export function createTimerRepository(db: Kysely<Database>): TimerRepository {
  return {
    async schedule(id, kind, dueAt, payload) {
      // Upsert: scheduling an id again re-arms it (new due time and payload, fresh attempts, no lease) and
      // bumps the generation, so a fire of the previous arming that is still running cannot mark this one.
      const row = await db
        .insertInto("timers")
        .values({ id, kind, payload: toJson(payload), due_at: dueAt })
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({
            kind,
            payload: toJson(payload),
            due_at: dueAt,
            status: "scheduled",
            generation: sql<number>`timers.generation + 1`,
            attempts: 0,
            locked_until: null,
            last_error: null,
            updated_at: dbNow(),
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return fromRow(row);
    },

    async cancel(id) {
      const result = await db
        .updateTable("timers")
        .set({ status: "cancelled", locked_until: null, updated_at: dbNow() })
        .where("id", "=", id)
        .where("status", "=", "scheduled")
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async claimDue(now, limit, leaseMs = defaultLeaseMs) {
      const lockedUntil = new Date(now.getTime() + leaseMs);
      // Same lease as the outbox: skip rows another claimer is taking, and a claim's lease hides the timer
      // from everyone else until it is marked fired (or the claimer crashed and the lease ran out).
      const result = await sql<Selectable<TimersTable>>`
        with due as (
          select id from timers
          where status = 'scheduled'
            and due_at <= ${now}
            and (locked_until is null or locked_until <= ${now})
          order by due_at, id
          limit ${limit}
          for update skip locked
        )
        update timers set locked_until = ${lockedUntil}, attempts = timers.attempts + 1
        from due
        where timers.id = due.id
        returning timers.*`.execute(db);
      return result.rows
        .map(fromRow)
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id.localeCompare(b.id));
    },

    async markFired(id, generation) {
      let q = db
        .updateTable("timers")
        .set({ status: "fired", locked_until: null, updated_at: dbNow() })
        .where("id", "=", id)
        .where("status", "=", "scheduled");
      if (generation !== undefined) q = q.where("generation", "=", generation);
      await q.execute();
    },

    async retryLater(id, generation, { at, error }) {
      await db
        .updateTable("timers")
        .set({ due_at: at, last_error: error, locked_until: null, updated_at: dbNow() })
        .where("id", "=", id)
        .where("status", "=", "scheduled")
        .where("generation", "=", generation)
        .execute();
    },

    async get(id) {
      const row = await db.selectFrom("timers").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async nextDueAt() {
      // When the earliest scheduled timer can next be claimed: its due time, or the end of the lease of one
      // being fired (greatest() ignores a null lease). Reporting a leased timer as due would make a waiting
      // service wake up in a loop while another instance fires it.
      const row = await db
        .selectFrom("timers")
        .select(sql<Date | null>`min(greatest(due_at, locked_until))`.as("next"))
        .where("status", "=", "scheduled")
        .executeTakeFirst();
      return row?.next ?? undefined;
    },
  };
}

function fromRow(row: Selectable<TimersTable>): StoredTimer {
  return {
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    dueAt: row.due_at,
    status: row.status as TimerStatus,
    generation: row.generation,
    attempts: row.attempts,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}
