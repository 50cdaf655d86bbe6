/**
 * The Provider port: typed domain events a contact-center provider hands to Baton, and what the server needs
 * to mount a provider's webhook. The 8x8 wire format stays inside providers/8x8/; everything here is
 * provider-neutral so the handover service can be written once.
 */

import type { ResendCheck } from "./resend-check.ts";

export type ParticipantRole = "user" | "agent" | "bot" | "system";

export interface ProviderAttachment {
  readonly id: string;
  /** image | video | audio | file: what kind of file the provider says it is (8x8 reports these four). */
  readonly kind: string;
  readonly fileName: string;
  /** Where the user can download it; may be time-limited (8x8 gives a pre-signed URL). */
  readonly url: string;
}

export interface ProviderCard {
  readonly contentType: string;
  readonly content: unknown;
}

export interface ProviderUserInfo {
  readonly name?: string;
  readonly userId?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly company?: string;
  readonly caseId?: string;
  readonly language?: string;
  readonly additionalProperties?: readonly { readonly key: string; readonly value: string }[];
}

interface EventBase {
  readonly providerId: string;
  /** The provider's conversation id (for 8x8, its conversationId). */
  readonly conversationId: string;
  /** The provider's event id (for 8x8, x-8x8-event-id); unique per event, stable across retries. */
  readonly eventId: string;
  /** When the event happened, epoch ms (the payload timestamp). */
  readonly occurredAt: number;
  /**
   * Set when an operator forced a replay of a stored event (the admin API): the id of the event replayed.
   * Such an event is meant to be applied again, even where the same content was applied before.
   */
  readonly replayOf?: string;
}

/** Everything a provider can tell Baton about a conversation, one case per kind of happening. */
export type ProviderEvent =
  | (EventBase & {
      readonly kind: "conversation.state";
      readonly state: "created" | "active" | "idle";
      /** `type` is agent | queue | script in 8x8's docs, but the enum is extensible: kept as a lower-cased string. */
      readonly assignment?: { readonly type: string; readonly id: string };
      readonly user?: ProviderUserInfo;
      readonly channel?: string;
    })
  | (EventBase & {
      readonly kind: "conversation.queued";
      readonly queueId: string;
      readonly queueName?: string;
    })
  | (EventBase & {
      readonly kind: "participant.joined" | "participant.left";
      readonly role: "user" | "agent";
      readonly participantId: string;
    })
  | (EventBase & { readonly kind: "conversation.transferred" })
  | (EventBase & {
      readonly kind: "message.received";
      readonly sender: { readonly id: string; readonly role: ParticipantRole };
      readonly text: string;
      readonly attachments: readonly ProviderAttachment[];
      readonly cards: readonly ProviderCard[];
    })
  | (EventBase & {
      readonly kind: "typing";
      /** Who is typing now; empty means typing stopped. */
      readonly typists: readonly { readonly id: string; readonly role: ParticipantRole }[];
    })
  | (EventBase & {
      readonly kind: "card.action";
      readonly cardKind: "adaptiveCard" | "quickReply";
      /** Action.Submit / Action.Execute / postback. */
      readonly actionType: string;
      readonly data: unknown;
    })
  | (EventBase & {
      readonly kind: "read.receipt";
      readonly receipts: readonly {
        readonly readAt: number;
        readonly readers: readonly { readonly id: string; readonly role: ParticipantRole }[];
      }[];
    });

export type ProviderEventKind = ProviderEvent["kind"];

/** A message someone wrote in the provider's conversation (an agent's, or a contact-center notice). */
export type ProviderMessageEvent = Extract<ProviderEvent, { readonly kind: "message.received" }>;

/** Receives domain events; called in per-conversation order, one event at a time per conversation. */
export type ProviderEventHandler = (event: ProviderEvent) => Promise<void>;

/** A raw webhook request as the server received it: exact body bytes and lower-cased headers. */
export interface WebhookRequest {
  readonly rawBody: Buffer;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** What the server answers. `status` is 2xx for accepted, duplicate and verify events. */
export interface WebhookResponse {
  readonly status: number;
  readonly outcome: "accepted" | "duplicate" | "verify" | "ignored";
  readonly eventType: string;
}

/** An operator's replay of a stored, once-verified webhook body (the admin API). */
export interface WebhookReplayRequest {
  readonly rawBody: Buffer;
  /** The provider's event id of the stored delivery. */
  readonly eventId: string;
  /** Hand it on again even when it was (a new event id); otherwise a stored event answers `duplicate`. */
  readonly force?: boolean;
  /** The event-log entry replayed, for the replay's own entry. */
  readonly replayOf?: number;
}

export interface WebhookReplayResult {
  /** accepted: handed on; duplicate: stored before, nothing handed on; ignored: stored, not for Baton. */
  readonly outcome: "accepted" | "duplicate" | "ignored";
  readonly eventType: string;
  /** The id it was processed under (with `force`, a new one derived from the original). */
  readonly eventId: string;
}

/** One line of the bot conversation given to the agent when a handover starts. */
export interface TranscriptEntry {
  readonly source: "user" | "bot" | "agent" | "system";
  /** May be empty when the message was only files. */
  readonly text: string;
  readonly at: string;
  /** Names of the files sent with the message (the history names them; the files are not re-sent). */
  readonly attachments?: readonly string[];
}

/** Who the end user is, as far as the session knows (shown to the agent; drives 8x8 CRM screen pops). */
export interface HandoverUser {
  readonly id: string;
  readonly name?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly company?: string;
  readonly caseId?: string;
  readonly language?: string;
}

export interface CreateHandoverConversation {
  readonly handoverId: string;
  readonly user: HandoverUser;
  /** Routing: channel, queue, custom properties (provider-specific keys, validated at flow load). */
  readonly routing: {
    readonly channelId?: string;
    readonly queueId?: string;
    readonly properties?: Readonly<Record<string, string>>;
  };
  readonly transcript: readonly TranscriptEntry[];
}

/** A file the end user sent, to be passed on to the agent. */
export interface OutgoingAttachment {
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/**
 * How a message send is made. `checkFirst` is set when an earlier attempt of this very message may have
 * landed (its answer was lost, or the instance making it died mid-call): the provider looks at the
 * conversation first and does not post the message again when it is already there, deciding with the rule
 * of `resend-check.ts` (landedAlready).
 */
export interface MessageSendContext {
  readonly checkFirst?: ResendCheck;
}

/** What a message send did; implementations that never check may return nothing. */
export interface MessageSendOutcome {
  /** The check found the message already there, so it was not posted again. */
  readonly alreadyThere: boolean;
}

/**
 * What the handover service asks of a provider. Every method may throw BatonErrors; the outbox decides
 * about retries. A provider may retry in-process what certainly did not happen (429, 503, a refused
 * connection); a failure after which the call may have happened carries `details.ambiguous: true`, and the
 * outbox's next attempt of a message send passes `checkFirst`.
 */
export interface HandoverOperations {
  createConversation(input: CreateHandoverConversation): Promise<{ readonly providerConversationId: string }>;
  sendUserMessage(
    providerConversationId: string,
    message: { readonly text?: string; readonly attachments?: readonly OutgoingAttachment[] },
    context?: MessageSendContext,
  ): Promise<MessageSendOutcome | void>;
  /** A notice for the agent only (e.g. "the user left the chat"), sent as a bot message. */
  notifyAgent(
    providerConversationId: string,
    text: string,
    context?: MessageSendContext,
  ): Promise<MessageSendOutcome | void>;
  userTyping(providerConversationId: string): Promise<void>;
  /** Ends the provider side for the user (cancel, close, timeout): the agent is freed. */
  userLeaves(providerConversationId: string): Promise<void>;
  /**
   * Catch-up: reads the conversation as the provider holds it now, so that what its webhooks failed to
   * deliver (the gateway was down longer than the provider retries, a delivery was answered with a failure)
   * can still be applied. Only reads; absent on a provider that cannot be asked (nothing is caught up then).
   *
   * @param since epoch ms; messages created at or after it are listed (the service de-duplicates the rest).
   */
  reconcile?(providerConversationId: string, since: number): Promise<ReconciledConversation>;
}

/**
 * A provider conversation as `reconcile` reads it. The service applies it like the webhook events it
 * stands for: each message as its `message.received`, then the assignment and the end.
 */
export interface ReconciledConversation {
  /**
   * The agent and system messages created at or after `since`, oldest first, each exactly as its webhook
   * event carries it: the same sender id, `occurredAt`, text, attachment ids and cards. The handover service
   * recognises a message it already applied by those (handover/provider-message-key.ts), so a message
   * delivered both ways reaches the user once. `eventId` is the provider's message id with a prefix.
   */
  readonly messages: readonly ProviderMessageEvent[];
  /** The agent holding the conversation now; absent while it waits in a queue and after it ended. */
  readonly agent?: { readonly id: string };
  /** The queue it waits in now, if it does (after a transfer, say). */
  readonly queueId?: string;
  /** Agents who were in the conversation and have left it (participant ids). */
  readonly agentsLeft: readonly string[];
  /** The provider ended the conversation: no agent is in it and none will come (8x8: state idle). */
  readonly ended: boolean;
}

/**
 * What a provider can and cannot do, declared by the provider and checked where it matters: the custom
 * properties and transcript length of every handoverToAgent node are checked against them when a flow loads,
 * and the handover machine takes the agent-left grace from them when a handover starts. Nothing outside the
 * provider's folder hard-codes one provider's limits.
 */
export interface ProviderCapabilities {
  /** Most custom properties (key/value strings) one handover may carry to the agent. */
  readonly maxCustomProperties: number;
  /** Most bot-transcript messages handed to the agent when the conversation is created. */
  readonly maxTranscriptMessages: number;
  /**
   * Seconds an agent's "left" is held before the handover counts as completed, waiting for news that makes
   * it a transfer instead. 0 when the provider reports transfers before the agent leaves (no wait needed).
   */
  readonly agentLeftGraceSeconds: number;
}

/**
 * Where a provider receives its events over HTTP. The server mounts `POST {path}/{providerId}` for every
 * provider, and `POST {path}` for the one provider using that path when only one does (8x8's
 * `/handover/eightByEight`). The body reaches `handle` as the exact bytes, unparsed, so signatures over the
 * raw body can be checked.
 */
export interface ProviderWebhook {
  /** Starts with `/`, no trailing slash, no parameters: `/handover/eightByEight`. */
  readonly path: string;
  /**
   * Verifies, de-duplicates and acknowledges one request; hands events on asynchronously. Throws a
   * BatonError for the server to answer (its catalog status).
   */
  handle(request: WebhookRequest): Promise<WebhookResponse>;
  /** Replays a stored body without the authenticity checks it passed when it came (absent: not replayable). */
  replay?(request: WebhookReplayRequest): Promise<WebhookReplayResult>;
}

/** What a provider is handed when the gateway starts it: where its events go. */
export interface ProviderStartContext {
  /** Called in per-conversation order, one event at a time per conversation. */
  readonly onEvent: ProviderEventHandler;
  /**
   * Told when events may have been lost: the receiver answered a genuine delivery with a failure (the
   * provider may give up on it) or could not hand an event on. The gateway catches the conversation up
   * (`HandoverOperations.reconcile`) a little later. Never throws; optional for the caller to pass.
   */
  readonly onGap?: (gap: ProviderGap) => void;
}

/** A possible hole in a provider's event stream. */
export interface ProviderGap {
  /** The conversation concerned; absent when the failed request could not be read (all are caught up). */
  readonly conversationId?: string;
  /** Why, for the log: an error code or a short phrase. */
  readonly reason: string;
}

/**
 * A configured contact-center provider as the gateway sees it. Each provider folder exports one
 * ProviderDefinition whose `create` returns this; the registry maps config `type` names to definitions.
 *
 * @example
 * const provider = definition.create("eight", config, { store, logger, metrics });
 * await provider.start({ onEvent: (event) => handovers.onProviderEvent(event) });
 * const { providerConversationId } = await provider.handover.createConversation(input);
 * await provider.stop();
 */
export interface HandoverProvider {
  readonly id: string;
  readonly type: string;
  readonly capabilities: ProviderCapabilities;
  readonly handover: HandoverOperations;
  /** Absent for a provider that receives no events over HTTP. */
  readonly webhook?: ProviderWebhook;
  /** Binds the event handler and starts background work (e.g. handing on events left pending by a crash). */
  start(context: ProviderStartContext): Promise<void>;
  /** Stops accepting work, drains what is in flight (bounded) and releases connections. */
  stop(): Promise<void>;
}
