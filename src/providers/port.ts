/**
 * The Provider port: typed domain events a contact-center provider hands to Baton, and what the server needs
 * to mount a provider's webhook. The 8x8 wire format stays inside providers/8x8/; everything here is
 * provider-neutral so the handover service can be written once.
 */

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
 * What the handover service asks of a provider. Every method may throw BatonErrors; the outbox decides
 * about retries, so implementations send each call once.
 */
export interface HandoverOperations {
  createConversation(input: CreateHandoverConversation): Promise<{ readonly providerConversationId: string }>;
  sendUserMessage(
    providerConversationId: string,
    message: { readonly text?: string; readonly attachments?: readonly OutgoingAttachment[] },
  ): Promise<void>;
  /** A notice for the agent only (e.g. "the user left the chat"), sent as a bot message. */
  notifyAgent(providerConversationId: string, text: string): Promise<void>;
  userTyping(providerConversationId: string): Promise<void>;
  /** Ends the provider side for the user (cancel, close, timeout): the agent is freed. */
  userLeaves(providerConversationId: string): Promise<void>;
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
}

/** What a provider is handed when the gateway starts it: where its events go. */
export interface ProviderStartContext {
  /** Called in per-conversation order, one event at a time per conversation. */
  readonly onEvent: ProviderEventHandler;
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
