import type { Flow } from "../flow/types.ts";
import type { FlowHandoverInput } from "../handover/types.ts";
import type { Locale } from "../i18n/catalog.ts";
import type { ConversationMessage, HandoverBanner, MessageAttachment } from "../protocol/messages.ts";
import type { StoreRepositories, StoredSession } from "../store/types.ts";

/** A configured endpoint as the conversation service uses it (config + store-kept URL token + loaded flow). */
export interface EndpointRuntime {
  readonly id: string;
  readonly channel: "webchat" | "rest" | "webhook" | "8x8";
  /** 64 hex characters; identifies the endpoint in URLs. */
  readonly urlToken: string;
  /** Absent for endpoints driven by an external bot through the bot API. */
  readonly flow?: Flow;
  /** The Agent Copilot workspace's flow (`endpoints.<id>.copilot.flow`); without it there is no workspace. */
  readonly copilotFlow?: Flow;
  /** The provider a handoverToAgent node uses when it names none (`endpoints.<id>.handover.provider`). */
  readonly providerId?: string;
  readonly locale: Locale;
  /** Web chat: notify the agent when the user leaves / returns, after this grace (null: never). */
  readonly presenceGraceMs: number | null;
  /** Webhook channel: where outputs are POSTed, and the secret they are signed with. */
  readonly callback?: { readonly url: string; readonly secret: string };
}

/** A user's file as a channel received it (the web chat sends it base64-encoded). */
export interface IncomingAttachment {
  readonly name: string;
  readonly contentType: string;
  readonly base64: string;
}

/** One input from an end user, whatever the channel. */
export interface UserInput {
  readonly endpointId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly text?: string;
  readonly data?: Readonly<Record<string, unknown>>;
  readonly attachments?: readonly IncomingAttachment[];
  /** Makes a resend (after a reconnect) a no-op. */
  readonly clientMessageId?: string;
  readonly locale?: string;
}

export interface UserInputResult {
  /** Baton's session id (UUID). */
  readonly sessionKey: string;
  /** The stored user message's sequence number. */
  readonly seq: number;
  /** True when this input was a resend of one already stored (nothing ran again). */
  readonly duplicate: boolean;
  /** Everything shown to the user during this turn, in order (what the REST channel returns). */
  readonly outputs: readonly ConversationMessage[];
}

/** Files are kept inline as data: URLs so they survive restarts with the message and reach 8x8 later. */
export function toDataUrlAttachment(file: IncomingAttachment): MessageAttachment {
  return {
    name: file.name,
    contentType: file.contentType,
    url: `data:${file.contentType};base64,${file.base64}`,
    size: base64ByteLength(file.base64),
  };
}

/**
 * An agent's file as the user gets it. Providers report a kind (8x8: image | video | audio | file), not a
 * MIME type, so the type is told from the file name's extension; when the name does not tell (or says
 * something else than the kind), `contentType` is left out rather than guessed.
 */
export function fromProviderAttachment(file: {
  readonly fileName: string;
  readonly url: string;
  readonly kind: string;
}): MessageAttachment {
  const extension = /\.([a-z0-9]+)$/i.exec(file.fileName)?.[1]?.toLowerCase();
  const byName = extension === undefined ? undefined : contentTypesByExtension[extension];
  const major = byName?.split("/")[0];
  const agrees = file.kind === "file" ? major === "application" || major === "text" : major === file.kind;
  return {
    name: file.fileName,
    url: file.url,
    ...(byName !== undefined && agrees ? { contentType: byName } : {}),
  };
}

const contentTypesByExtension: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  bmp: "image/bmp",
  heic: "image/heic",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  ogg: "audio/ogg",
  wav: "audio/wav",
  pdf: "application/pdf",
  txt: "text/plain",
  csv: "text/csv",
  json: "application/json",
  zip: "application/zip",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/** The decoded size of base64 text: 3 bytes per 4 characters, less one per `=` of padding. */
function base64ByteLength(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return Math.floor(((base64.length - padding) * 3) / 4);
}

/**
 * Something that happened in a session that a channel may pass on beyond the web chat's bus frames (the
 * webhook channel POSTs each one to the endpoint's callbackUrl).
 * - `message`: a message shown to the user (bot, agent or system), as stored.
 * - `userMessage`: a user message meant for an external bot (an endpoint without a flow, no handover open).
 * - `banner`: the handover banner changed (what the web chat shows as "waiting for an agent").
 * - `handover`: a handover event or outcome that a flow would have received as `input.handover` (endpoints
 *   without a flow only: the external bot branches on it instead).
 */
export type SessionEvent =
  | { readonly type: "message"; readonly message: ConversationMessage }
  | { readonly type: "userMessage"; readonly message: ConversationMessage }
  | { readonly type: "banner"; readonly banner: HandoverBanner }
  | { readonly type: "handover"; readonly handover: FlowHandoverInput };

/**
 * The port through which the conversation service hands session events to channels. `stage` runs inside the
 * transaction that stores what caused the event, so a channel that enqueues through `repos.outbox` commits its
 * delivery together with the message: a crash loses neither or both.
 *
 * @example
 * const sink: SessionEventSink = {
 *   async stage(repos, session, endpoint, event) {
 *     if (endpoint.callback === undefined) return false;
 *     await repos.outbox.enqueue([{ orderingKey: `webhook:${session.id}`, kind: "webhook.deliver", payload: { event } }]);
 *     return true;
 *   },
 * };
 */
export interface SessionEventSink {
  /** @returns whether something was enqueued (the service then kicks the outbox after the commit). */
  stage(
    repos: StoreRepositories,
    session: StoredSession,
    endpoint: EndpointRuntime,
    event: SessionEvent,
  ): Promise<boolean>;
}

/** Whether an endpoint is driven by an external bot through the bot API (webhook channel, no flow). */
export function isBotApiEndpoint(endpoint: EndpointRuntime): boolean {
  return endpoint.channel === "webhook" && endpoint.flow === undefined && endpoint.callback !== undefined;
}
