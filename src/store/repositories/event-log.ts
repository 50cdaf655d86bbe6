import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, EventLogTable } from "../schema.ts";
import type {
  EventLogDirection,
  EventLogQuery,
  EventLogRepository,
  NewEventLogEntry,
  StoredEventLogEntry,
} from "../types.ts";

const defaultLimit = 50;

type ListedRow = Omit<Selectable<EventLogTable>, "body"> & {
  body?: string | null;
  has_body: boolean;
  handover_id: string | null;
  session_id: string | null;
};

export function createEventLogRepository(db: Kysely<Database>): EventLogRepository {
  /**
   * The log with Baton's handover and session of each conversation, looked up when read: the handover learns
   * its 8x8 conversation id only after the create call the log already recorded, so a join at read time names
   * it for every entry of the conversation, the create call's included.
   */
  function withHandover() {
    return db
      .selectFrom("event_log as e")
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom("handovers as ho")
            .select(["ho.id as handover_id", "ho.session_id as session_id"])
            .whereRef("ho.provider_id", "=", "e.provider_id")
            .whereRef("ho.provider_conversation_id", "=", "e.conversation_id")
            .orderBy("ho.created_at", "desc")
            .limit(1)
            .as("h"),
        (join) => join.onTrue(),
      )
      .select([
        "e.id",
        "e.at",
        "e.direction",
        "e.type",
        "e.provider_id",
        "e.conversation_id",
        "e.event_id",
        "e.status",
        "e.outcome",
        "e.duration_ms",
        "e.attempt",
        "e.error_code",
        "e.method",
        "e.path",
        "e.body_bytes",
        "e.body_truncated",
        "e.replay_of",
        "h.handover_id",
        "h.session_id",
        sql<boolean>`e.body is not null`.as("has_body"),
      ]);
  }

  return {
    async append(entries) {
      if (entries.length === 0) return 0;
      const result = await db.insertInto("event_log").values(entries.map(toRow)).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? entries.length);
    },

    async list(query: EventLogQuery = {}) {
      let q = withHandover();
      if (query.direction !== undefined) q = q.where("e.direction", "=", query.direction);
      if (query.type !== undefined) q = q.where("e.type", "=", query.type);
      if (query.providerId !== undefined) q = q.where("e.provider_id", "=", query.providerId);
      if (query.conversationId !== undefined) q = q.where("e.conversation_id", "=", query.conversationId);
      if (query.eventId !== undefined) q = q.where("e.event_id", "=", query.eventId);
      if (query.status !== undefined) {
        const statusClass = /^([1-5])xx$/.exec(query.status);
        q =
          statusClass === null
            ? q.where("e.status", "=", query.status)
            : q.where("e.status", "like", `${statusClass[1]}__`);
      }
      if (query.since !== undefined) q = q.where("e.at", ">=", query.since);
      if (query.until !== undefined) q = q.where("e.at", "<=", query.until);
      const before = query.before;
      if (before !== undefined) {
        q = q.where((eb) =>
          eb.or([
            eb("e.at", "<", before.at),
            eb.and([eb("e.at", "=", before.at), eb("e.id", "<", before.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy("e.at", "desc")
        .orderBy("e.id", "desc")
        .limit(query.limit ?? defaultLimit)
        .execute();
      return rows.map((row) => fromRow(row));
    },

    async get(id) {
      const row = await withHandover().select("e.body").where("e.id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : { ...fromRow(row), body: row.body };
    },

    async prune(before, limit) {
      // In batches, so a long backlog never holds one huge delete (and its locks) at once.
      const result = await db
        .deleteFrom("event_log")
        .where("id", "in", (eb) =>
          eb.selectFrom("event_log").select("id").where("at", "<", before).orderBy("id").limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toRow(entry: NewEventLogEntry) {
  return {
    at: entry.at,
    direction: entry.direction,
    type: entry.type,
    provider_id: entry.providerId,
    conversation_id: entry.conversationId,
    event_id: entry.eventId,
    status: entry.status,
    outcome: entry.outcome,
    duration_ms: Math.max(0, Math.round(entry.durationMs)),
    attempt: entry.attempt,
    error_code: entry.errorCode,
    method: entry.method,
    path: entry.path,
    body: entry.body,
    body_bytes: entry.bodyBytes,
    body_truncated: entry.bodyTruncated,
    replay_of: entry.replayOf,
  };
}

function fromRow(row: ListedRow): StoredEventLogEntry {
  return {
    id: Number(row.id),
    at: row.at,
    direction: row.direction as EventLogDirection,
    type: row.type,
    providerId: row.provider_id,
    conversationId: row.conversation_id,
    eventId: row.event_id,
    status: row.status,
    outcome: row.outcome,
    durationMs: row.duration_ms,
    attempt: row.attempt,
    errorCode: row.error_code,
    method: row.method,
    path: row.path,
    bodyBytes: row.body_bytes,
    bodyTruncated: row.body_truncated,
    replayOf: row.replay_of === null ? null : Number(row.replay_of),
    handoverId: row.handover_id,
    sessionId: row.session_id,
    hasBody: row.has_body,
  };
}
