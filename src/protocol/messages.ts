/**
 * What a person sees in a conversation, shared by the gateway and the web clients (web/). Wire types only:
 * no behaviour, no imports, so the browser bundle can use them as they are.
 */

/** Who authored a message. `system` is Baton speaking for itself ("an agent has joined"). */
export type MessageSource = "user" | "bot" | "agent" | "system";

/** A button that sends `payload` back as the user's input (its `title` is shown as the user's text). */
export interface QuickReply {
  readonly title: string;
  readonly payload: string;
}

/** A file in a message. `url` is time-limited when it comes from 8x8 (a pre-signed link). */
export interface MessageAttachment {
  readonly name: string;
  readonly url: string;
  readonly contentType?: string;
  readonly size?: number;
}

/** One message as stored and as shown. `seq` orders a session's messages and never repeats. */
export interface ConversationMessage {
  readonly seq: number;
  readonly source: MessageSource;
  readonly text?: string;
  readonly quickReplies?: readonly QuickReply[];
  /** An Adaptive Card (schema 1.3 recommended), rendered by the client. */
  readonly card?: Readonly<Record<string, unknown>>;
  readonly attachments?: readonly MessageAttachment[];
  /** The agent's display name on agent messages. */
  readonly agentName?: string;
  /** Free data for custom clients (never shown by the web chat). */
  readonly data?: Readonly<Record<string, unknown>>;
  /**
   * On `user` messages: the `clientMessageId` the client sent it with. Lets a client recognise its own
   * message when it comes back in a replay or from another tab before (or without) the `ack`.
   */
  readonly clientMessageId?: string;
  /** ISO-8601. */
  readonly createdAt: string;
}

/** The handover as the user's client needs to show it (banner, cancel button). */
export type HandoverBanner =
  | { readonly state: "none" }
  | {
      readonly state: "queued";
      readonly queueName?: string;
      /** Label of the cancel button, when the handover node allows cancelling. */
      readonly cancelLabel?: string;
    }
  | { readonly state: "active"; readonly agentName?: string }
  | { readonly state: "transferring" };
