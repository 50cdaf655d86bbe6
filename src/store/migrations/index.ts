import type { Migration, MigrationProvider } from "kysely";
import * as webhookEvents from "./0001-webhook-events.ts";
import * as conversations from "./0002-conversations.ts";
import * as copilot from "./0003-copilot.ts";
import * as handoverPolicy from "./0004-handover-policy.ts";
import * as instances from "./0005-instances.ts";
import * as providerMessages from "./0006-provider-messages.ts";
import * as conversationFencing from "./0007-conversation-fencing.ts";
import * as eventLog from "./0008-event-log.ts";

/**
 * Every migration, in order, imported statically so they ship inside the bundle and need no directory
 * scan. Names are sortable and never change once released; one set serves PGlite and PostgreSQL.
 */
const migrations: Record<string, Migration> = {
  "0001-webhook-events": webhookEvents,
  "0002-conversations": conversations,
  "0003-copilot": copilot,
  "0004-handover-policy": handoverPolicy,
  "0005-instances": instances,
  "0006-provider-messages": providerMessages,
  "0007-conversation-fencing": conversationFencing,
  "0008-event-log": eventLog,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
