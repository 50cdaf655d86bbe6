/**
 * Domain types of the simulated 8x8 Chat Gateway. Wire shapes follow 8x8's OpenAPI and its webhook events
 * reference; everything is kept in memory for the lifetime of one simulator.
 */

export type QueueConfig = { id: string; name: string; agents: Array<{ id: string; name: string }> };

/** Result author types (8x8's `AuthorType`): callers may only send `user` and `bot`. */
export type AuthorType = "user" | "bot" | "agent" | "system";
export type ExternalAuthorType = "user" | "bot";

export type ConversationState = "created" | "active" | "idle";

/** Request assignments are `queue` or `script`; the simulator switches to `agent` when an agent accepts. */
export type Assignment = { type: "queue" | "script" | "agent"; id: string };

export type AdditionalProperty = { key: string; value: string };

export type UserData = {
  name?: string;
  userId?: string;
  customerId?: string;
  email?: string;
  phone?: string;
  company?: string;
  caseId?: string;
  language?: string;
  ipaddress?: string;
  timezoneOffset?: number;
  additionalProperties?: AdditionalProperty[];
};

export type Webhook = { id: string; name: string; uri: string; version: "Chat Gateway v1.0" };

export type Channel = {
  id: string;
  name: string;
  type: string;
  webHookId: string;
  routingOptions: { type: "queue"; id: string };
};

export type Card = {
  id: string;
  contentType: string;
  content: Record<string, unknown>;
  actionSubmitted: boolean;
  actionExecuted: boolean;
};

export type Participant = { id: string; type: AuthorType; removed: boolean };

export type Message = {
  id: string;
  /** Monotonic sequence: `createdAt` can tie within one millisecond, the sequence never does. */
  seq: number;
  text: string;
  createdAt: string;
  author: Participant;
  externalProvider?: { name: string; externalMessageId: string };
  attachments: Array<{ id: string }>;
  cards: Card[];
};

export type Attachment = {
  id: string;
  filename: string;
  contentType: string;
  sizeInBytes: number;
  createdAt: string;
  /** `user` / `bot` when the integration uploaded it, `agent` when an agent sent it (control API). */
  authorType: ExternalAuthorType | "agent";
  content: Buffer;
};

/** One CC routing instance of a conversation: queue → agent → ended. */
export type Interaction = {
  id: string;
  startTime: string;
  endTime?: string;
  queueId: string;
  /** Epoch ms when the interaction (re-)entered its queue; drives the console's "waiting since". */
  queuedAt: number;
  agentId?: string;
};

export type PostAgentAssignment = {
  type: "webhook";
  id: string;
  configuration?: {
    notifyChannelWebhookIfExists?: string;
    maxTotalMinutes?: number;
    userTimeoutInMinutes?: number;
  };
};

export type Conversation = {
  id: string;
  channelId: string;
  createdAt: string;
  state: ConversationState;
  assignment?: Assignment;
  user: UserData;
  /** The live interaction; absent while idle or while a script (bot) owns the conversation. */
  interaction?: Interaction;
  interactions: Interaction[];
  participants: Participant[];
  messages: Message[];
  attachments: Attachment[];
  /**
   * The queue a new interaction goes to when a message arrives while idle: the previous one, as 8x8 documents
   * for its legacy v2 API.
   */
  lastQueueId?: string;
  postAgentAssignment?: PostAgentAssignment;
  /** Integration-side indicators shown in the agent console; they expire on their own. */
  userTypingUntil?: number;
  botTypingUntil?: number;
  botThinkingUntil?: number;
  readReceipts: Array<{ authorType: ExternalAuthorType; readAt: number }>;
  /** Agent currently typing (an ACTIVITY typing with a non-empty users list was sent). */
  agentTyping?: { agentId: string; timer: NodeJS.Timeout };
  /** Seq of the last message the agent side has seen; later user/bot messages count as unread. */
  agentSeenSeq: number;
};

export type WebhookEventType =
  | "CONVERSATION_UPDATE"
  | "QUEUED"
  | "MEMBERS_CHANGED"
  | "TRANSFER"
  | "MESSAGE"
  | "ACTIVITY"
  | "WEB_HOOK_VERIFY";

/** Envelope of every conversation event; TRANSFER carries no `data`. */
export type ConversationEvent = {
  eventType: Exclude<WebhookEventType, "WEB_HOOK_VERIFY">;
  conversationId: string;
  timestamp: number;
  data?: Record<string, unknown>;
};
