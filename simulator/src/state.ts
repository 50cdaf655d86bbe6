import { randomBytes } from "node:crypto";
import type { Channel, Conversation, QueueConfig, Webhook } from "./types.ts";

/** Everything the simulator knows, in memory. One instance per simulator; nothing is shared. */
export type SimulatorState = {
  tenantId: string;
  customerId: string;
  queues: Map<string, QueueConfig>;
  webhooks: Map<string, Webhook>;
  channels: Map<string, Channel>;
  conversations: Map<string, Conversation>;
  /** Strictly increasing epoch ms for event `timestamp`s across the whole simulator. */
  nextTimestamp(): number;
  /** Strictly increasing message sequence, so messages sort stably even within one millisecond. */
  nextMessageSeq(): number;
  /** The last timestamp and sequence handed out: a restart continues after them. */
  counters(): StateCounters;
};

export type StateCounters = { lastTimestamp: number; lastSeq: number };

export const DEFAULT_QUEUES: readonly QueueConfig[] = [
  {
    id: "311",
    name: "Support EN",
    agents: [
      { id: "agent-anna", name: "Anna" },
      { id: "agent-ben", name: "Ben" },
    ],
  },
  { id: "312", name: "Billing DE", agents: [{ id: "agent-clara", name: "Clara" }] },
];

export function createState(
  tenantId: string,
  customerId: string,
  queues: readonly QueueConfig[],
  counters: StateCounters = { lastTimestamp: 0, lastSeq: 0 },
): SimulatorState {
  let { lastTimestamp, lastSeq } = counters;
  return {
    tenantId,
    customerId,
    queues: new Map(queues.map((queue) => [queue.id, structuredClone(queue)])),
    webhooks: new Map(),
    channels: new Map(),
    conversations: new Map(),
    nextTimestamp() {
      // Two events in the same millisecond would tie; receivers sort by timestamp, so bump by 1 ms.
      lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
      return lastTimestamp;
    },
    nextMessageSeq: () => ++lastSeq,
    counters: () => ({ lastTimestamp, lastSeq }),
  };
}

/** Opaque ids shaped like 8x8's (e.g. `vXg39aMTRlq4xCBFaUCTlA`): clients must not parse them. */
export function newId(): string {
  return randomBytes(16).toString("base64url");
}

/** The webhook URI events of a conversation go to: the one bound to its channel. */
export function webhookUriFor(state: SimulatorState, conversation: Conversation): string | undefined {
  const channel = state.channels.get(conversation.channelId);
  return channel === undefined ? undefined : state.webhooks.get(channel.webHookId)?.uri;
}
