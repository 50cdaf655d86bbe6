import type { ColumnType, Generated } from "kysely";
import type { WorkspaceRecord } from "../copilot/workspace-record.ts";
import type { HandoverMachineState } from "../handover/machine/types.ts";
import type { HandoverRequest } from "../handover/types.ts";
import type { StoredFlowState } from "./types.ts";

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

/** jsonb: written as JSON text (so `pg` does not turn arrays into Postgres arrays), read back parsed. */
type Jsonb<T> = ColumnType<T, string, string>;
type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export interface EndpointTokensTable {
  endpoint_id: string;
  url_token: string;
  created_at: CreatedAt;
}

export interface SessionsTable {
  id: string;
  endpoint_id: string;
  user_id: string;
  session_id: string;
  locale: string | null;
  context: Jsonb<Record<string, unknown>>;
  flow_state: ColumnType<StoredFlowState | null, string | null, string | null>;
  next_seq: ColumnType<number, number | undefined, number>;
  /** The highest lock fencing token that wrote the session (bigint, so a string from `pg`). */
  fence_token: ColumnType<string | number, never, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface MessagesTable {
  session_id: string;
  seq: number;
  direction: string;
  source: string;
  text: string | null;
  payload: Jsonb<Record<string, unknown>>;
  provider_id: string | null;
  provider_message_ref: string | null;
  delivery_state: string;
  client_message_id: string | null;
  created_at: CreatedAt;
}

export interface HandoversTable {
  id: string;
  session_id: string;
  endpoint_id: string;
  provider_id: string;
  provider_conversation_id: string | null;
  state: string;
  machine: Jsonb<HandoverMachineState>;
  request: Jsonb<HandoverRequest>;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  ended_at: Date | null;
}

export interface OutboxTable {
  /** generated always as identity: never written. */
  id: ColumnType<string | number, never, never>;
  ordering_key: string;
  kind: string;
  payload: Jsonb<Record<string, unknown>>;
  status: ColumnType<string, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date | null;
  locked_until: Date | null;
  last_error: string | null;
  created_at: CreatedAt;
  done_at: Date | null;
  /** The instance holding (or that last held) the claim. */
  locked_by: string | null;
  check_first: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface InstancesTable {
  id: string;
  started_at: CreatedAt;
  heartbeat_at: UpdatedAt;
  bus: string;
  host: string;
  pid: number;
}

export interface TimersTable {
  id: string;
  kind: string;
  payload: Jsonb<Record<string, unknown>>;
  due_at: Date;
  status: ColumnType<string, string | undefined, string>;
  generation: ColumnType<number, number | undefined, number>;
  attempts: ColumnType<number, number | undefined, number>;
  locked_until: Date | null;
  last_error: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface CopilotWorkspacesTable {
  session_id: string;
  state: Jsonb<WorkspaceRecord>;
  version: ColumnType<number, number | undefined, number>;
  updated_at: UpdatedAt;
}

export interface CopilotLinkKeysTable {
  kid: string;
  secret: string;
  created_at: CreatedAt;
}

export interface EventLogTable {
  /** generated always as identity: never written. */
  id: ColumnType<string | number, never, never>;
  at: Date;
  direction: string;
  type: string;
  provider_id: string;
  conversation_id: string | null;
  event_id: string | null;
  status: string;
  outcome: string;
  duration_ms: number;
  attempt: number;
  error_code: string | null;
  method: string | null;
  path: string | null;
  body: string | null;
  body_bytes: number | null;
  body_truncated: ColumnType<boolean, boolean | undefined, boolean>;
  replay_of: ColumnType<string | number | null, number | null | undefined, number | null>;
}

/** A provider message applied to a handover (catch-up and webhooks de-duplicate on message_key). */
export interface ProviderMessagesTable {
  handover_id: string;
  message_key: string;
  sender_id: string;
  occurred_at: Int8;
  source: string;
  event_id: string;
  applied_at: CreatedAt;
}

export interface HandoverCatchUpTable {
  handover_id: string;
  caught_up_through: Int8;
  checked_at: UpdatedAt;
}

export interface Database {
  webhook_events: WebhookEventsTable;
  endpoint_tokens: EndpointTokensTable;
  sessions: SessionsTable;
  messages: MessagesTable;
  handovers: HandoversTable;
  outbox: OutboxTable;
  instances: InstancesTable;
  timers: TimersTable;
  copilot_workspaces: CopilotWorkspacesTable;
  copilot_link_keys: CopilotLinkKeysTable;
  provider_messages: ProviderMessagesTable;
  handover_catch_up: HandoverCatchUpTable;
  event_log: EventLogTable;
}
