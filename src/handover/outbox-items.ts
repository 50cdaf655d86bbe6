/**
 * The handover's outbound calls as durable outbox items: one kind per provider operation, each with its typed
 * payload, and the builders that make them. Every item of one handover shares one ordering key, so they reach
 * the provider strictly in the order they were decided (a send after the create waits for the create).
 *
 * Payloads are parsed back when they run (they were written by an earlier process, maybe an older version),
 * so a malformed one fails for good with a clear error instead of calling the provider with nonsense.
 */
import { z } from "zod";
import { parseStoredPayload } from "../utils/stored-payload.ts";
import type { NewOutboxItem, Store } from "../store/types.ts";

export const handoverOutboxKinds = {
  create: "handover.create",
  send: "handover.send",
  /** Baton's own notice for the agent (the user left / came back), in the session's language. */
  notifyAgent: "handover.notifyAgent",
  /** What the flow or the Copilot says to the agent (a flow output with destination agent, the link). */
  botToAgent: "handover.botToAgent",
  userLeaves: "handover.userLeaves",
} as const;

export type HandoverOutboxKind = (typeof handoverOutboxKinds)[keyof typeof handoverOutboxKinds];

/** A user's file as queued: inline as a data: URL, so it survives restarts with the item. */
const queuedAttachment = z.object({ name: z.string(), url: z.string(), contentType: z.string() });

const handoverId = z.string().min(1);

/** Each kind's payload, as written and as parsed back. */
export const handoverOutboxPayloads = {
  "handover.create": z.object({ handoverId }),
  "handover.send": z.object({
    handoverId,
    text: z.string().optional(),
    attachments: z.array(queuedAttachment).default([]),
  }),
  "handover.notifyAgent": z.object({ handoverId, text: z.string() }),
  "handover.botToAgent": z.object({ handoverId, text: z.string() }),
  "handover.userLeaves": z.object({ handoverId }),
} satisfies { readonly [K in HandoverOutboxKind]: z.ZodType };

export type HandoverOutboxPayload<K extends HandoverOutboxKind> = z.input<(typeof handoverOutboxPayloads)[K]>;
export type ParsedOutboxPayload<K extends HandoverOutboxKind> = z.output<(typeof handoverOutboxPayloads)[K]>;

/** The ordering key of every item of one handover. */
export function handoverOrderingKey(handoverId: string): string {
  return `handover:${handoverId}`;
}

/**
 * An outbox item of a handover.
 *
 * @example
 * await tx.outbox.enqueue([handoverOutboxItem("handover.botToAgent", { handoverId, text: "Hello" })]);
 */
export function handoverOutboxItem<K extends HandoverOutboxKind>(
  kind: K,
  payload: HandoverOutboxPayload<K>,
): NewOutboxItem {
  return { orderingKey: handoverOrderingKey(payload.handoverId), kind, payload: { ...payload } };
}

export function isHandoverOutboxKind(kind: string): kind is HandoverOutboxKind {
  return Object.hasOwn(handoverOutboxPayloads, kind);
}

/** Parses a stored payload; a malformed one is a permanent failure (retrying cannot mend it). */
export function parseOutboxPayload<K extends HandoverOutboxKind>(
  kind: K,
  payload: unknown,
): ParsedOutboxPayload<K> {
  return parseStoredPayload(handoverOutboxPayloads[kind], kind, payload) as ParsedOutboxPayload<K>;
}

/**
 * How other parts reach the agent of a handover (the Copilot posts its link this way): a bot message for the
 * agent, queued durably behind everything already queued for that handover, so it follows the create call.
 * Nothing is sent for a handover that never reached a provider.
 *
 * @example
 * const agent = createAgentNotifier({ store, kickOutbox: () => worker.kick() });
 * await agent.notifyAgent(handover.id, "Open the Copilot: https://…");
 */
export function createAgentNotifier(deps: {
  readonly store: Pick<Store, "outbox">;
  readonly kickOutbox: () => void;
}) {
  return {
    async notifyAgent(handoverId: string, text: string): Promise<void> {
      await deps.store.outbox.enqueue([handoverOutboxItem("handover.botToAgent", { handoverId, text })]);
      deps.kickOutbox();
    },
  };
}
