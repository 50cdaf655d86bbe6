/**
 * The handover domain: what a flow asks for, the lifecycle states, and what the flow sees back.
 * Provider-neutral; the 8x8 specifics (channel id, queue id, JSON properties) travel in `provider`.
 */

/** Lifecycle states: requested → queued → active ⇄ transferring → a terminal state. */
export type HandoverState =
  | "requested"
  | "queued"
  | "active"
  | "transferring"
  | "completed"
  | "cancelled"
  | "closed_by_bot"
  | "abandoned"
  | "error";

export const terminalHandoverStates = [
  "completed",
  "cancelled",
  "closed_by_bot",
  "abandoned",
  "error",
] as const;
export type TerminalHandoverState = (typeof terminalHandoverStates)[number];

/**
 * What a flow reads in `handover.status` (the values Cognigy.AI flows branch on, so flows port over):
 * `queue` and `active` arrive as events while the handover runs, the rest end it; `inactivity` events
 * carry `inactivityCount`.
 */
export type FlowHandoverStatus = "queue" | "active" | "inactivity" | "completed" | "cancelled" | "error";

/** Why a handover ended: in `error` or `cancelled`, and `closed` on a `completed` the bot caused. */
export type HandoverEndReason =
  /** The endpoint's channel cannot hand over (or no provider is configured). */
  | "unsupported"
  /** The provider call failed (after retries). */
  | "error"
  /**
   * The contact center refused a call of the open handover for good (its conversation is gone, access was
   * refused, a request was rejected); status `error`. The user is told the connection to the agent was lost.
   */
  | "rejected"
  /** maxQueueWait passed with no agent. */
  | "timeout"
  /** The user cancelled (intent, button, or the web chat's cancel). */
  | "user"
  /** The user left (user-leaves call, or the provider reported it). */
  | "user_left"
  /**
   * The bot closed the handover (closeHandover node or the bot API); status `completed`, so flows written for
   * Cognigy.AI's three outcomes keep working, and this reason tells the close apart.
   */
  | "closed"
  /**
   * The contact center ended the request before any agent took it (the provider conversation went idle while
   * requested or queued); status `cancelled`, so the flow can offer another queue, like `timeout`.
   */
  | "provider";

/** How much of the bot conversation the agent receives when the conversation is created (8x8: `history`). */
export type TranscriptOption =
  { readonly mode: "full" } | { readonly mode: "last"; readonly count: number } | { readonly mode: "none" };

/** The parameters of a handoverToAgent node, validated at flow load. */
export interface HandoverRequest {
  /** Provider id from the config; the endpoint's `handover.provider` when the node names none. */
  readonly providerId: string;
  /**
   * Provider-specific routing. For 8x8: channelId, queueId and jsonProperties (string pairs; how many is the
   * provider's `maxCustomProperties`, checked when the flow loads).
   */
  readonly provider: {
    readonly channelId?: string;
    readonly queueId?: string;
    readonly jsonProperties?: Readonly<Record<string, string>>;
  };
  /** Said to the user when the request is made (and on each user message while queued if repeated). */
  readonly acceptedMessage?: string;
  readonly repeatAcceptedMessage: boolean;
  /** Keywords (any, case-insensitive, whole words) or a /regex/ that cancels while queued. */
  readonly cancelIntent?:
    { readonly keywords: readonly string[] } | { readonly pattern: string; readonly flags: string };
  /** Label of a quick reply that cancels while queued. */
  readonly cancelButtonText?: string;
  /** Where the flow continues after completion: below the node, or at the current entrypoint. */
  readonly onResolve: "belowNode" | "entrypoint";
  readonly sendQueueEvent: boolean;
  readonly sendActiveEvent: boolean;
  readonly sendResolveEvent: boolean;
  readonly transcript: TranscriptOption;
  /** Seconds in the queue before the request is withdrawn with status cancelled / reason timeout. */
  readonly maxQueueWaitSeconds?: number;
}

/** What the flow receives in `input.handover` when it is resumed or sent an event. */
export interface FlowHandoverInput {
  readonly status: FlowHandoverStatus;
  readonly handoverId: string;
  readonly providerId: string;
  readonly reason?: HandoverEndReason;
  readonly error?: { readonly reason: "unsupported" | "error"; readonly message: string };
  readonly inactivityCount?: number;
  readonly queue?: { readonly id: string; readonly name?: string };
  readonly agent?: { readonly id: string; readonly name?: string };
}
