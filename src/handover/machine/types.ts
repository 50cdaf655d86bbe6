/**
 * The handover state machine's vocabulary: its stored state, the events it is fed and the effects it asks for.
 * Everything here is plain JSON data: the state is stored as jsonb, events and effects go through the store
 * (outbox, timers, event log) and may be replayed. No functions, no Dates, no class instances.
 */
import type { ProviderAttachment, ProviderCard } from "../../providers/port.ts";
import type { HandoverBanner, MessageAttachment, QuickReply } from "../../protocol/messages.ts";
import type { FlowHandoverInput, HandoverEndReason, HandoverRequest, HandoverState } from "../types.ts";

/** The machine's timers. The service keeps one durable timer per (handover, timer); setting again replaces. */
export type HandoverTimer = "inactivity" | "queueWait" | "agentLeftGrace";

export const handoverTimers: readonly HandoverTimer[] = ["inactivity", "queueWait", "agentLeftGrace"];

/**
 * What the machine takes from the provider when a handover starts (ProviderCapabilities), kept in the state so
 * a stored handover behaves the same after a restart or a config change.
 */
export interface HandoverPolicy {
  /**
   * Seconds an agent's `left` is held before the handover counts as completed, waiting for a TRANSFER (or a
   * new agent, or a QUEUED) that would make it a transfer instead; 0 ends it at once. Some providers (8x8)
   * leave the order of TRANSFER and `left` open, so without the wait a transfer would look like the end.
   */
  readonly agentLeftGraceSeconds: number;
}

/**
 * The payload of the cancel quick reply offered with the accepted message. A user message whose text is this
 * payload (or the node's cancelButtonText, typed by hand) cancels while the request waits.
 */
export const HANDOVER_CANCEL_PAYLOAD = "baton:handover:cancel";

/** System texts the machine asks the user to be shown; the message catalog holds them (English, German). */
export type HandoverUserMessageKey =
  /** "Connecting you to an agent…" — at request time when the node has no acceptedMessage. */
  | "connecting"
  /** "You are in the queue {queueName}." — once, when the request enters the queue. */
  | "queued"
  /** "{agentName} has joined the conversation." (agentName may be absent: 8x8 v1 sends no names). */
  | "agentJoined"
  /** "The agent has left the conversation." — the handover completed. */
  | "agentLeft"
  /** "You are being transferred to another agent…" */
  | "transferring"
  /** "You have left the queue." — the user cancelled. */
  | "cancelled"
  /** "No agent could take your request in time." — maxQueueWait passed. */
  | "timeout"
  /** "The request was closed before an agent joined." — the contact center ended it. */
  | "endedByProvider"
  /** "You are back with the bot." — the bot closed the handover. */
  | "closed"
  /** "Sorry, we could not reach an agent." — the request failed or the channel cannot hand over. */
  | "error"
  /** "The connection to the agent was lost." — the provider refused a call for the open handover for good. */
  | "lost";

export const handoverUserMessageKeys: readonly HandoverUserMessageKey[] = [
  "connecting",
  "queued",
  "agentJoined",
  "agentLeft",
  "transferring",
  "cancelled",
  "timeout",
  "endedByProvider",
  "closed",
  "error",
  "lost",
];

/** Notices for the agent only (sent to the provider as bot messages), from the message catalog. */
export type HandoverAgentNoticeKey = "userLeft" | "userReturned";

export const handoverAgentNoticeKeys: readonly HandoverAgentNoticeKey[] = ["userLeft", "userReturned"];

/** A user message held while an agent's `left` may still turn out to be a transfer. */
export interface HeldUserMessage {
  readonly text?: string;
  readonly attachments?: readonly MessageAttachment[];
  readonly at: number;
}

/** The whole state of one handover. JSON-serialisable: stored as jsonb, compared as JSON. */
export interface HandoverMachineState {
  readonly handoverId: string;
  readonly state: HandoverState;
  readonly request: HandoverRequest;
  /** When the flow asked for the handover, epoch ms. */
  readonly requestedAt: number;
  /** From the provider's capabilities when the handover started. */
  readonly policy: HandoverPolicy;
  /** The provider's conversation id, once the create call answered (or an event named it). */
  readonly providerConversationId?: string;
  readonly queue?: { readonly id: string; readonly name?: string };
  /** The agent handling the conversation (absent while waiting, and after the agent left in a transfer). */
  readonly agent?: { readonly id: string; readonly name?: string };
  /** True between a TRANSFER and the transferring agent's `left`: that `left` is not the end. */
  readonly transferPending: boolean;
  /** Set while an agent's `left` waits out `policy.agentLeftGraceSeconds` (it may still become a transfer). */
  readonly agentLeftPendingSince?: number;
  /** User messages written during that grace; passed on if it becomes a transfer. */
  readonly heldUserMessages: readonly HeldUserMessage[];
  /** `seconds` once the flow armed it (setHandoverInactivity); `count` expiries since the last user message. */
  readonly inactivity: { readonly seconds?: number; readonly count: number };
  /** Due times (epoch ms) of the armed timers; a fire of a timer not armed, or earlier than this, is stale. */
  readonly timers: { readonly [K in HandoverTimer]?: number };
  /** Whether the user has a live connection, as last reported (the agent is told on each change). */
  readonly userConnected: boolean;
  /** When the request entered the queue, epoch ms. */
  readonly queuedAt?: number;
  /** When an agent first joined, epoch ms. */
  readonly activeAt?: number;
  /** When a terminal state was reached, epoch ms. */
  readonly endedAt?: number;
  readonly endReason?: HandoverEndReason;
  readonly error?: { readonly reason: "unsupported" | "error"; readonly message: string };
}

/** Everything that can happen to a handover. Every event carries `at`, epoch ms of when it happened. */
export type HandoverEvent =
  // ---- the service, about the create call
  /** The provider accepted the create call and named its conversation. */
  | { readonly type: "request.created"; readonly providerConversationId: string; readonly at: number }
  /** The create call failed for good (`error`), or the channel/provider cannot hand over (`unsupported`). */
  | {
      readonly type: "request.failed";
      readonly reason: "error" | "unsupported";
      readonly message: string;
      readonly at: number;
    }
  // ---- the provider (see provider-events.ts)
  | {
      readonly type: "provider.conversationState";
      readonly state: "created" | "active" | "idle";
      /** `type` agent | queue | script (8x8); kept open, unknown types are ignored. */
      readonly assignment?: { readonly type: string; readonly id: string };
      readonly at: number;
    }
  | {
      readonly type: "provider.queued";
      readonly queueId: string;
      readonly queueName?: string;
      readonly at: number;
    }
  | {
      readonly type: "provider.agentJoined";
      readonly agentId: string;
      readonly agentName?: string;
      readonly at: number;
    }
  | { readonly type: "provider.agentLeft"; readonly agentId: string; readonly at: number }
  | { readonly type: "provider.transferred"; readonly at: number }
  | { readonly type: "provider.userLeft"; readonly at: number }
  | {
      readonly type: "provider.agentMessage";
      readonly agentId: string;
      readonly text: string;
      readonly attachments: readonly ProviderAttachment[];
      readonly cards: readonly ProviderCard[];
      readonly at: number;
    }
  | { readonly type: "provider.agentTyping"; readonly active: boolean; readonly at: number }
  /**
   * The provider refused a call for this handover for good (its conversation is gone, access was refused, the
   * request was rejected): nothing more can reach the agent, so the handover ends with status `error`.
   */
  | {
      readonly type: "provider.rejected";
      /** The call that was refused: send, notifyAgent, typing… */
      readonly operation: string;
      /** The error's code and message, for the flow and the log (never message content). */
      readonly message: string;
      readonly at: number;
    }
  /**
   * A user acted on a card inside the provider's own chat widget (8x8 in front). Only a quick reply carrying
   * HANDOVER_CANCEL_PAYLOAD means something here (cancel while waiting); nothing else reaches the flow during
   * a handover: a postback that restarted the flow mid-chat would talk over the agent.
   */
  | {
      readonly type: "provider.cardAction";
      readonly cardKind: "adaptiveCard" | "quickReply";
      readonly actionType: string;
      readonly data: unknown;
      readonly at: number;
    }
  // ---- the end user (channels)
  | {
      readonly type: "user.message";
      readonly text?: string;
      readonly data?: Readonly<Record<string, unknown>>;
      readonly attachments?: readonly MessageAttachment[];
      readonly at: number;
    }
  /** The web chat's cancel button (the `cancelHandover` frame) or the bot API's cancel. */
  | { readonly type: "user.cancel"; readonly at: number }
  | { readonly type: "user.typing"; readonly active: boolean; readonly at: number }
  /** The user's last connection closed (`false`) or one came back (`true`). */
  | { readonly type: "user.connection"; readonly connected: boolean; readonly at: number }
  // ---- the bot (flow nodes or the bot API)
  /** closeHandover: end the handover from the bot's side. */
  | { readonly type: "bot.close"; readonly at: number }
  /** setHandoverInactivity: (re)arm the inactivity timer, in seconds. */
  | { readonly type: "bot.setInactivity"; readonly seconds: number; readonly at: number }
  // ---- durable timers
  /** `at` is the timer's due time (or when it fired); a fire earlier than the armed due time is stale. */
  | { readonly type: "timer.fired"; readonly timer: HandoverTimer; readonly at: number };

export type HandoverEventType = HandoverEvent["type"];

/** An event without its time (for tables and test drivers that stamp `at` themselves). */
export type UntimedHandoverEvent = {
  [T in HandoverEventType]: Omit<Extract<HandoverEvent, { readonly type: T }>, "at">;
}[HandoverEventType];

/**
 * Where the flow continues when the handover ends.
 * - `belowNode`: below the handoverToAgent node.
 * - `entrypoint`: at the session's current entrypoint (an agent may have moved it; onResolve `entrypoint`).
 * - `current`: the flow is already running — it asked for the close (closeHandover) — and continues below the
 *   node that asked; the service must not start it a second time.
 */
export type FlowResumeAt = "belowNode" | "entrypoint" | "current";

/**
 * When the flow runs with the outcome.
 * - `now`: at once, with `input.handover` (cancelled, error, a timeout, abandoned, closed; completed with
 *   sendResolveEvent, the "resolve event" Cognigy.AI flows know).
 * - `nextUserMessage`: the position moves now, the flow runs when the user next writes, with `input.handover`
 *   on that input (completed without sendResolveEvent).
 */
export type FlowResumeTrigger = "now" | "nextUserMessage";

/** What the machine asks the service to do. Executed in order, by the service (outbox, timers, channels). */
export type HandoverEffect =
  // ---- provider (through the outbox, FIFO per handover: a send after create waits for the create)
  /** Create the provider conversation; the service adds transcript, history and user data. */
  | { readonly type: "provider.create" }
  | {
      readonly type: "provider.sendUserMessage";
      readonly text?: string;
      readonly attachments?: readonly MessageAttachment[];
    }
  /** A notice for the agent only (catalog text, the session's locale). */
  | { readonly type: "provider.notifyAgent"; readonly messageKey: HandoverAgentNoticeKey }
  /** The user started typing (8x8 has no "stopped typing" call, so only starts are emitted). */
  | { readonly type: "provider.typing" }
  /** End the provider side for the user: withdraws a queued request, frees the agent. */
  | { readonly type: "provider.userLeaves" }
  // ---- the end user
  | {
      readonly type: "user.say";
      readonly messageKey: HandoverUserMessageKey;
      readonly params?: Readonly<Record<string, string>>;
    }
  /** The node's acceptedMessage (already rendered by the flow), with the cancel quick reply if configured. */
  | { readonly type: "user.sayText"; readonly text: string; readonly quickReplies?: readonly QuickReply[] }
  | {
      readonly type: "user.relayAgentMessage";
      readonly text: string;
      readonly attachments: readonly ProviderAttachment[];
      readonly cards: readonly ProviderCard[];
      readonly agentName?: string;
    }
  | { readonly type: "user.typing"; readonly active: boolean; readonly agentName?: string }
  | { readonly type: "user.banner"; readonly banner: HandoverBanner }
  // ---- the flow
  /** An event while the handover runs (queue, active, inactivity); the flow runs at its current entrypoint. */
  | { readonly type: "flow.event"; readonly input: FlowHandoverInput }
  /** The handover ended: exactly once per handover, on the transition into a terminal state. */
  | {
      readonly type: "flow.resume";
      readonly input: FlowHandoverInput;
      readonly resumeAt: FlowResumeAt;
      readonly trigger: FlowResumeTrigger;
    }
  // ---- timers
  | {
      readonly type: "timer.set";
      readonly timer: HandoverTimer;
      readonly seconds: number;
      readonly dueAt: number;
    }
  | { readonly type: "timer.cancel"; readonly timer: HandoverTimer }
  // ---- the log: exactly one per transition, last
  | {
      readonly type: "log";
      /** `none` on the first transition (initialState, unsupportedState). */
      readonly from: HandoverState | "none";
      readonly to: HandoverState;
      /** `start` on the first transition. */
      readonly event: HandoverEventType | "start";
      /** The event changed nothing (late, duplicate, or meaningless in this state). */
      readonly ignored: boolean;
      readonly note?: string;
    };

export type HandoverEffectType = HandoverEffect["type"];

export interface HandoverTransition {
  readonly state: HandoverMachineState;
  readonly effects: readonly HandoverEffect[];
}
