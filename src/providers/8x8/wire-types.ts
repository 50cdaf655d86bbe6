/**
 * Chat Gateway v1 wire types as the client exposes them (after the components of 8x8's published OpenAPI).
 * Requests mirror 8x8's JSON exactly; results are normalised by wire-schemas.ts: every id is a string,
 * conversation state is lower case, optional arrays default to empty.
 */

/** The only webhook/event version 8x8 defines (OpenAPI `EventVersion`). */
export const chatGatewayVersion = "Chat Gateway v1.0";
export type ChatGatewayVersion = typeof chatGatewayVersion;

/** Who a caller posts as (`ExternalAuthorType`). `agent`/`system` only appear in results. */
export type AuthorType = "user" | "bot";

/** Who a participant or message author is in results; extensible on 8x8's side. */
export type ParticipantType = "user" | "bot" | "agent" | "system" | (string & {});

/** Lower-cased; 8x8's 202 prose says CREATED/ACTIVE while the enum and events say created/active. */
export type ConversationState = "created" | "active" | "idle" | (string & {});

export type CardContentType =
  | "application/vnd.microsoft.card.adaptive"
  | "application/8x8.quick.replies"
  | "Interactive"
  | "Location"
  | "Template"
  | "Suggestions"
  | "Buttons"
  | "Carousel";

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

export interface ListQuery {
  /** 0-based page index (8x8 default 0). */
  readonly page?: number;
  /** Page size (8x8 default 20; the maximum is undocumented). */
  readonly size?: number;
  /** `<field>:<asc|desc>`, default `id:asc`. */
  readonly sort?: string;
  /** FIQL, e.g. `name==Support;type==ChatAPI`. */
  readonly filter?: string;
}

/** Messages and cards are sortable by `createdAt` only and take no filter (8x8's OpenAPI offers no other). */
export interface MessageListQuery {
  readonly page?: number;
  readonly size?: number;
  /** Default `createdAt:desc`. */
  readonly sort?: "createdAt:asc" | "createdAt:desc";
}

export interface WebhookInput {
  /** ≤ 256 characters. */
  readonly name: string;
  /** Absolute URI that will receive events. */
  readonly uri: string;
}

export interface VerifyWebhookInput {
  readonly uri: string;
  /** Defaults to `Chat Gateway v1.0` (the spec's example `v2.0` is the legacy v2 value). */
  readonly version?: string;
}

export interface ChannelInput {
  /** ≤ 255 characters. */
  readonly name: string;
  readonly webHookId: string;
  /** The default routing queue; `type` is always `queue`. */
  readonly routingOptions: { readonly type?: "queue"; readonly id: string };
  /** Only `ChatAPI` channels can be created (default). */
  readonly type?: "ChatAPI";
}

export interface AdditionalProperty {
  readonly key: string;
  readonly value: string;
}

export interface UserData {
  readonly name?: string;
  readonly userId?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly company?: string;
  readonly caseId?: string;
  /** `en` (default), `de`, `fr`, `zh-CN`, … (OpenAPI `Language`). */
  readonly language?: string;
  /** At most 30 `{key, value}` string pairs, shown to the agent. */
  readonly additionalProperties?: readonly AdditionalProperty[];
}

/** Routing target on requests; results and events may also say `agent`. */
export interface AssignmentInput {
  readonly type: "queue" | "script";
  readonly id: string;
}

export interface AttachmentRef {
  readonly id: string;
}

export interface CardInput {
  readonly contentType: CardContentType | (string & {});
  readonly content: Readonly<Record<string, unknown>>;
}

export interface ExternalProvider {
  readonly name: "X";
  readonly externalMessageId: string;
}

interface MessageBodyBase {
  readonly authorType: AuthorType;
  readonly attachments?: readonly AttachmentRef[];
  readonly cards?: readonly CardInput[];
}

/**
 * Text (or attachments/cards only: the spec requires neither `text` nor `externalProvider`, and an
 * attachment-only message is how 8x8 documents sending a file: upload it, then reference its id).
 */
export interface TextMessageBody extends MessageBodyBase {
  readonly text?: string;
  readonly externalProvider?: never;
}

/** Re-hydrates an X/Twitter message by id; mutually exclusive with `text`. */
export interface ExternalProviderMessageBody extends MessageBodyBase {
  readonly externalProvider: ExternalProvider;
  readonly text?: never;
}

/** `POST /messages` body and each `history.messages[]` item. */
export type SendMessageBody = TextMessageBody | ExternalProviderMessageBody;

export interface CreateConversationInput {
  readonly channelId: string;
  readonly user: UserData;
  /** Omitted: the channel's routing queue applies. */
  readonly assignment?: AssignmentInput;
  /** The bot transcript replayed for the agent; at most 200 messages. */
  readonly history?: { readonly messages: readonly SendMessageBody[] };
}

/** PUT: full replacement of the updatable fields. */
export interface UpdateConversationInput {
  readonly channelId?: string;
  readonly user?: UserData;
  readonly assignment?: AssignmentInput;
}

/** PATCH: `{assignment}` or `{user}` (or both; the spec says anyOf). */
export type PatchConversationInput =
  | { readonly assignment: AssignmentInput; readonly user?: UserData }
  | { readonly user: UserData; readonly assignment?: AssignmentInput };

export interface PostAgentAssignmentInput {
  readonly type?: "webhook";
  /** The webhook id control returns to after the agent. */
  readonly id: string;
  readonly configuration?: {
    /** A string on the wire; a boolean is converted. */
    readonly notifyChannelWebhookIfExists?: "true" | "false" | boolean;
    /** Integer, 20–600. */
    readonly maxTotalMinutes?: number;
    /** Integer, 10–300. */
    readonly userTimeoutInMinutes?: number;
  };
}

export interface TypingInput {
  readonly authorType: AuthorType;
}

export interface ThinkingInput {
  readonly authorType?: "bot";
  /** Integer, 1–600; 8x8 defaults to 60. */
  readonly maxThinkingTimeSeconds?: number;
}

export interface ReadReceiptInput {
  readonly authorType: AuthorType;
  /** Epoch milliseconds; every message up to this instant counts as read. */
  readonly readAt: number;
}

export interface UploadAttachmentInput {
  readonly bytes: Uint8Array;
  readonly fileName: string;
  /** MIME type of the part; default `application/octet-stream`. */
  readonly contentType?: string;
  readonly authorType: AuthorType;
}

export interface CardActionInput {
  readonly conversationId: string;
  readonly cardId: string;
  readonly name: string;
  /** Defaults to the client's `tenant`; these two endpoints take the tenant in the path. */
  readonly tenantId?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------------

export interface PageInfo {
  readonly size: number;
  readonly number: number;
  readonly totalElements: number;
  readonly totalPages: number;
}

/** One page of a HAL list; `items` is empty when 8x8 omits `_embedded`. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly page: PageInfo;
}

export interface Webhook {
  readonly id: string;
  readonly name: string;
  readonly uri: string;
  readonly version?: string;
}

export interface Channel {
  readonly id: string;
  readonly name: string;
  /** `ChatAPI`, `WebChat`, `WhatsApp`, …: non-ChatAPI channels can be listed. */
  readonly type?: string;
  readonly webHookId?: string;
  readonly routingOptions?: { readonly type: string; readonly id: string };
}

export interface Assignment {
  /** `queue` | `script` | `agent` (after an agent accepts). */
  readonly type: string;
  readonly id: string;
}

export interface Conversation {
  readonly id: string;
  readonly channelId?: string;
  readonly state?: ConversationState;
  readonly assignment?: Assignment;
  readonly user?: UserData;
}

export interface CreatedConversation {
  readonly conversationId: string;
  readonly createdAt?: string;
}

export interface Interaction {
  readonly id: string;
  readonly startTime?: string;
  readonly endTime?: string;
}

export interface Participant {
  readonly id: string;
  readonly type: ParticipantType;
  /** True once the participant has left. */
  readonly removed: boolean;
  readonly language?: string;
}

export interface Card {
  readonly id?: string;
  readonly contentType: CardContentType | (string & {});
  readonly content: unknown;
  readonly actionSubmitted?: boolean;
  readonly actionExecuted?: boolean;
}

export interface Message {
  readonly id: string;
  /** Empty for attachment-only or card-only messages. */
  readonly text: string;
  readonly createdAt?: string;
  readonly author?: Participant;
  readonly externalProvider?: { readonly name: string; readonly externalMessageId: string };
  readonly attachments: readonly AttachmentRef[];
  readonly cards: readonly Card[];
}

export interface Attachment {
  readonly id: string;
  readonly filename: string;
  /** The spec's `required` says `size`; the only property defined is `sizeInBytes`. Either is read. */
  readonly sizeInBytes?: number;
  readonly createdAt?: string;
}

export interface DownloadedAttachment {
  readonly bytes: Buffer;
  /** From `Content-Disposition` (RFC 6266 `filename*` preferred). */
  readonly fileName?: string;
  readonly contentType?: string;
}

/** RSA public key that verifies webhook signatures (the spec mislabels it `type: string`; it is a JWK). */
export interface PublicJwk {
  readonly kty: string;
  readonly kid?: string;
  readonly n?: string;
  readonly e?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [member: string]: unknown;
}
