import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, OutboxTable } from "../schema.ts";
import { dbNow, toJson } from "../transactions.ts";
import type { ClaimedOutboxItem, OutboxItem, OutboxRepository, OutboxStatus } from "../types.ts";

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

    async claimNext({ now, limit, leaseMs = defaultLeaseMs, instanceId, staleAfterMs }) {
      const lockedUntil = new Date(now.getTime() + leaseMs);
      const claimer = instanceId ?? null;
      // Only the head of each key is a candidate: an item with an older pending item of its key waits, even
      // when that one is leased or not yet due, which is what keeps one key strictly in order. `for update
      // skip locked` lets concurrent claimers (several instances) pass over rows another claim is taking; a
      // row whose claim committed a moment ago fails the lease test when re-checked after the lock, so no item
      // is claimed twice while its lease runs.
      //
      // A running lease is no obstacle when its instance is gone (no row: it closed, or was removed as silent)
      // or silent for `staleAfterMs` by the database's clock: it crashed, so waiting out its lease would only
      // stall the conversation. A lease nobody recorded an owner for keeps the lease as its only end.
      const takeover =
        claimer === null || staleAfterMs === undefined
          ? sql<boolean>`false`
          : sql<boolean>`(o.locked_by is not null and o.locked_by <> ${claimer} and not exists (
              select 1 from instances i
              where i.id = o.locked_by
                and i.heartbeat_at > now() - ${staleAfterMs}::float8 * interval '1 millisecond'
            ))`;
      // A claim that finds the previous one unfinished (a lease that was never released) cannot know whether
      // that attempt was carried out: the item is checked at the remote side before it is repeated.
      const result = await sql<ClaimedRow>`
        with candidates as (
          select o.id, o.locked_by as previous_owner, o.locked_until as previous_lease from outbox o
          where o.status = 'pending'
            and (o.next_attempt_at is null or o.next_attempt_at <= ${now})
            and (o.locked_until is null or o.locked_until <= ${now} or ${takeover})
            and not exists (
              select 1 from outbox older
              where older.ordering_key = o.ordering_key and older.status = 'pending' and older.id < o.id
            )
          order by o.id
          limit ${limit}
          for update skip locked
        )
        update outbox set
          locked_until = ${lockedUntil},
          locked_by = ${claimer},
          attempts = outbox.attempts + 1,
          check_first = outbox.check_first or outbox.locked_until is not null
        from candidates
        where outbox.id = candidates.id
        returning outbox.*, candidates.previous_owner, candidates.previous_lease`.execute(db);
      return result.rows.map(fromClaimedRow).sort((a, b) => a.id - b.id);
    },

    async complete(id) {
      await db
        .updateTable("outbox")
        .set({ status: "done", done_at: dbNow(), locked_until: null })
        .where("id", "=", id)
        .execute();
    },

    async retryLater(id, { at, error, checkFirst = false }) {
      await db
        .updateTable("outbox")
        .set({
          next_attempt_at: at,
          last_error: error,
          locked_until: null,
          check_first: sql<boolean>`check_first or ${checkFirst}`,
        })
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
    lockedBy: row.locked_by,
    checkFirst: row.check_first,
  };
}

type ClaimedRow = Selectable<OutboxTable> & {
  readonly previous_owner: string | null;
  readonly previous_lease: Date | null;
};

function fromClaimedRow(row: ClaimedRow): ClaimedOutboxItem {
  const item = fromRow(row);
  return row.previous_lease === null ? item : { ...item, resumedFrom: { instanceId: row.previous_owner } };
}
