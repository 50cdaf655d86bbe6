import type { Flow } from "../flow/types.ts";
import type { Locale } from "../i18n/catalog.ts";
import type { ConversationMessage, MessageAttachment } from "../protocol/messages.ts";

/** A configured endpoint as the conversation service uses it (config + store-kept URL token + loaded flow). */
export interface EndpointRuntime {
  readonly id: string;
  readonly channel: "webchat" | "rest" | "webhook" | "8x8";
  /** 64 hex characters; identifies the endpoint in URLs. */
  readonly urlToken: string;
  /** Absent for endpoints driven by an external bot through the bot API. */
  readonly flow?: Flow;
  /** The provider a handoverToAgent node uses when it names none (`endpoints.<id>.handover.provider`). */
  readonly providerId?: string;
  readonly locale: Locale;
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
    size: Math.floor((file.base64.length * 3) / 4),
  };
}
