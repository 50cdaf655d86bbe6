import type { ColumnType, Generated } from "kysely";

/** Table shapes as Kysely sees them. bigint columns come back as strings from `pg`, so repositories
 * convert them; `Int8` names that fact. */
type Int8 = ColumnType<string | number, number, number>;

export interface WebhookEventsTable {
  seq: Generated<Int8>;
  provider_id: string;
  event_id: string;
  event_type: string;
  conversation_id: string | null;
  event_timestamp: Int8;
  retry: number;
  body: string;
  status: ColumnType<string, string | undefined, string>;
  received_at: ColumnType<Date, Date | undefined, never>;
  processed_at: ColumnType<Date | null, never, Date | null>;
  error: string | null;
  duplicates: ColumnType<number, never, number>;
}

export interface Database {
  webhook_events: WebhookEventsTable;
}
