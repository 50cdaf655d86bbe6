import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, OutboxTable } from "../schema.ts";
import { dbNow, toJson } from "../transactions.ts";
import type { OutboxItem, OutboxRepository, OutboxStatus } from "../types.ts";

const defaultLeaseMs = 60_000;

export function createOutboxRepository(db: Kysely<Database>): OutboxRepository {
  return {
    async enqueue(items) {
      if (items.length === 0) return [];
      // One multi-row insert: identity values follow the VALUES order, so the items keep their order.
      const rows = await db
        .insertInto("outbox")
        .values(
          items.map((item) => ({
            ordering_key: item.orderingKey,
            kind: item.kind,
            payload: toJson(item.payload),
            next_attempt_at: item.notBefore ?? null,
          })),
        )
        .returningAll()
        .execute();
      return rows.map(fromRow).sort((a, b) => a.id - b.id);
    },

    async claimNext({ now, limit, leaseMs = defaultLeaseMs }) {
      const lockedUntil = new Date(now.getTime() + leaseMs);
      // Only the head of each key is a candidate: an item with an older pending item of its key waits, even
      // when that one is leased or not yet due, which is what keeps one key strictly in order. `for update
      // skip locked` lets concurrent claimers (several instances) pass over rows another claim is taking; a
      // row whose claim committed a moment ago fails the lease test when re-checked after the lock, so no item
      // is claimed twice while its lease runs.
      const result = await sql<Selectable<OutboxTable>>`
        with candidates as (
          select o.id from outbox o
          where o.status = 'pending'
            and (o.next_attempt_at is null or o.next_attempt_at <= ${now})
            and (o.locked_until is null or o.locked_until <= ${now})
            and not exists (
              select 1 from outbox older
              where older.ordering_key = o.ordering_key and older.status = 'pending' and older.id < o.id
            )
          order by o.id
          limit ${limit}
          for update skip locked
        )
        update outbox set locked_until = ${lockedUntil}, attempts = outbox.attempts + 1
        from candidates
        where outbox.id = candidates.id
        returning outbox.*`.execute(db);
      return result.rows.map(fromRow).sort((a, b) => a.id - b.id);
    },

    async complete(id) {
      await db
        .updateTable("outbox")
        .set({ status: "done", done_at: dbNow(), locked_until: null })
        .where("id", "=", id)
        .execute();
    },

    async retryLater(id, { at, error }) {
      await db
        .updateTable("outbox")
        .set({ next_attempt_at: at, last_error: error, locked_until: null })
        .where("id", "=", id)
        .where("status", "=", "pending")
        .execute();
    },

    async fail(id, error, status = "failed") {
      await db
        .updateTable("outbox")
        .set({ status, last_error: error, done_at: dbNow(), locked_until: null })
        .where("id", "=", id)
        .execute();
    },

    async get(id) {
      const row = await db.selectFrom("outbox").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async listByKey(orderingKey) {
      const rows = await db
        .selectFrom("outbox")
        .selectAll()
        .where("ordering_key", "=", orderingKey)
        .orderBy("id", "asc")
        .execute();
      return rows.map(fromRow);
    },
  };
}

function fromRow(row: Selectable<OutboxTable>): OutboxItem {
  return {
    id: Number(row.id),
    orderingKey: row.ordering_key,
    kind: row.kind,
    payload: row.payload,
    status: row.status as OutboxStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    createdAt: row.created_at,
    doneAt: row.done_at,
  };
}
