import type { ConversationMessage, HandoverBanner } from "./messages.ts";

/**
 * The web chat WebSocket protocol at `GET /endpoints/{urlToken}/ws`. JSON text frames, one object each,
 * discriminated by `type`. Version it by adding frame types, never by changing one.
 *
 * Reconnection: every message frame carries its session sequence number; a client sends the last `seq` it
 * saw in `hello` and receives exactly the messages after it, in order, once (then live ones). On one socket
 * message frames come in seq order without a hole, so the highest seq seen is a safe `lastSeq`.
 */

/** Client → server. */
export type WebchatClientFrame =
  | {
      readonly type: "hello";
      readonly userId: string;
      readonly sessionId: string;
      /** Last message seq this client has shown; 0 or absent for a new page. */
      readonly lastSeq?: number;
      /** BCP-47 language tag; the endpoint's locale applies when absent. */
      readonly locale?: string;
    }
  | {
      readonly type: "message";
      /** Client-chosen id, echoed in `ack`, so a resend after a reconnect is not applied twice. */
      readonly clientMessageId: string;
      readonly text?: string;
      readonly data?: Readonly<Record<string, unknown>>;
      readonly attachments?: readonly {
        readonly name: string;
        readonly contentType: string;
        readonly base64: string;
      }[];
    }
  | { readonly type: "typing"; readonly active: boolean }
  | { readonly type: "cancelHandover" };

/** Server → client. */
export type WebchatServerFrame =
  | {
      readonly type: "ready";
      readonly sessionKey: string;
      readonly lastSeq: number;
      readonly locale: string;
      /**
       * The session's current handover banner (`none` when there is none), so a client that reconnects
       * after the handover changed does not keep showing a stale banner.
       */
      readonly handover?: HandoverBanner;
    }
  | { readonly type: "message"; readonly message: ConversationMessage }
  | { readonly type: "ack"; readonly clientMessageId: string; readonly seq: number }
  | {
      readonly type: "typing";
      readonly source: "bot" | "agent";
      readonly active: boolean;
      readonly agentName?: string;
    }
  | { readonly type: "handover"; readonly banner: HandoverBanner }
  | {
      readonly type: "error";
      readonly code: string;
      readonly message: string;
      readonly field?: string;
      readonly expected?: string;
      /**
       * Set when the error rejects one `message` frame: the client marks that message as not sent and
       * stops resending it after reconnects.
       */
      readonly clientMessageId?: string;
    };
