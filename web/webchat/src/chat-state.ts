import type {
  ConversationMessage,
  HandoverBanner,
  MessageSource,
  QuickReply,
} from "../../../src/protocol/messages.ts";
import type { WebchatClientFrame, WebchatServerFrame } from "../../../src/protocol/webchat.ts";
import type { MessageKey } from "./messages.ts";

/**
 * The web chat page as a pure state machine: `reduce(state, event) → { state, effects }`. The DOM renderer
 * only draws a state and the socket only carries the effects' frames, so every rule about ordering,
 * deduplication, acks and resends lives here and is unit-tested in node.
 *
 * Sequence rules (src/protocol/webchat.ts): every server message has a session `seq`; a message already
 * shown is never shown twice, whether it arrives live, in a replay after a reconnect, or as the echo of
 * the page's own message. `lastSeq` (sent in `hello`) is the highest seq received in a `message` frame —
 * deliberately not the seq of an `ack`, which can overtake a server message still in flight; the replay
 * then includes the page's own messages again and the seq dedupe drops them.
 */

export type OutgoingMessageFrame = Extract<WebchatClientFrame, { type: "message" }>;
export type Delivery = "sending" | "sent" | "failed";

/** An attachment as shown: messages from the server have a `url`; the page's own unsent files only a name. */
export interface ShownAttachment {
  readonly name: string;
  readonly url?: string;
  readonly contentType?: string;
  readonly size?: number;
}

export interface TimelineEntry {
  /** Stable across the entry's life (render key): the clientMessageId for own messages, else `seq:<n>`. */
  readonly key: string;
  /** Absent while an own message is not yet acknowledged. */
  readonly seq?: number;
  readonly source: MessageSource;
  readonly text?: string;
  readonly quickReplies?: readonly QuickReply[];
  readonly card?: Readonly<Record<string, unknown>>;
  readonly attachments?: readonly ShownAttachment[];
  readonly agentName?: string;
  readonly createdAt: string;
  /** Own messages only. */
  readonly delivery?: Delivery;
  /** Own messages until acknowledged: the exact frame to resend (same clientMessageId) after a reconnect. */
  readonly outgoing?: OutgoingMessageFrame;
}

export type ConnectionStatus = "connecting" | "ready" | "reconnecting";

export type Notice =
  | { readonly id: number; readonly kind: "server"; readonly code: string; readonly message: string }
  | {
      readonly id: number;
      readonly kind: "local";
      readonly key: MessageKey;
      readonly params?: Readonly<Record<string, string>>;
    };

export interface Identity {
  readonly userId: string;
  readonly sessionId: string;
  readonly locale: string;
}

export interface ChatState {
  readonly identity: Identity;
  readonly entries: readonly TimelineEntry[];
  readonly lastSeq: number;
  readonly connection: ConnectionStatus;
  readonly banner: HandoverBanner;
  readonly typing: { readonly bot: boolean; readonly agent: boolean; readonly agentName?: string };
  readonly notices: readonly Notice[];
  readonly nextNoticeId: number;
}

export type ChatEvent =
  /** The socket opened: say hello with the last seq shown. */
  | { readonly type: "opened" }
  /** The socket closed or failed; the page will reconnect. */
  | { readonly type: "closed" }
  | { readonly type: "frame"; readonly frame: WebchatServerFrame }
  | {
      readonly type: "send";
      readonly clientMessageId: string;
      readonly text?: string;
      readonly data?: Readonly<Record<string, unknown>>;
      readonly attachments?: OutgoingMessageFrame["attachments"];
      readonly createdAt: string;
    }
  /**
   * Send a message that the server rejected once more, with its own clientMessageId: the gateway stores a
   * message once per id, so a retry of one that did arrive after all is acknowledged, never shown twice.
   */
  | { readonly type: "retry"; readonly clientMessageId: string }
  | { readonly type: "cancelHandover" }
  | { readonly type: "typingExpired"; readonly source: "bot" | "agent" }
  | {
      readonly type: "localNotice";
      readonly key: MessageKey;
      readonly params?: Readonly<Record<string, string>>;
    }
  | { readonly type: "dismissNotice"; readonly id: number };

export type ChatEffect = { readonly type: "send"; readonly frame: WebchatClientFrame };

export interface Transition {
  readonly state: ChatState;
  readonly effects: readonly ChatEffect[];
}

/** At most this many notices are kept; older ones go first. */
const maxNotices = 3;

export function initialChatState(identity: Identity): ChatState {
  return {
    identity,
    entries: [],
    lastSeq: 0,
    connection: "connecting",
    banner: { state: "none" },
    typing: { bot: false, agent: false },
    notices: [],
    nextNoticeId: 1,
  };
}

export function reduce(state: ChatState, event: ChatEvent): Transition {
  switch (event.type) {
    case "opened": {
      // Wait for `ready` before (re)sending messages: the server binds the socket to the session on hello.
      const { userId, sessionId, locale } = state.identity;
      return send(state, { type: "hello", userId, sessionId, lastSeq: state.lastSeq, locale });
    }
    case "closed":
      // Typing indicators are live signals: after a gap they are stale. The banner stays until `ready`.
      return {
        state: { ...state, connection: "reconnecting", typing: { bot: false, agent: false } },
        effects: [],
      };
    case "frame":
      return onFrame(state, event.frame);
    case "send": {
      const outgoing: OutgoingMessageFrame = {
        type: "message",
        clientMessageId: event.clientMessageId,
        ...(event.text !== undefined ? { text: event.text } : {}),
        ...(event.data !== undefined ? { data: event.data } : {}),
        ...(event.attachments?.length ? { attachments: event.attachments } : {}),
      };
      const entry: TimelineEntry = {
        key: event.clientMessageId,
        source: "user",
        ...(event.text !== undefined ? { text: event.text } : {}),
        ...(event.attachments?.length
          ? { attachments: event.attachments.map(({ name, contentType }) => ({ name, contentType })) }
          : {}),
        createdAt: event.createdAt,
        delivery: "sending",
        outgoing,
      };
      const next = { ...state, entries: [...state.entries, entry] };
      return state.connection === "ready" ? send(next, outgoing) : { state: next, effects: [] };
    }
    case "retry": {
      const old = state.entries.find((e) => e.key === event.clientMessageId);
      if (!old?.outgoing || old.delivery !== "failed") return unchanged(state);
      const { outgoing } = old;
      // The retried message moves to the end: it is sent now, after whatever arrived meanwhile.
      const entry: TimelineEntry = { ...old, delivery: "sending" };
      const next = { ...state, entries: [...state.entries.filter((e) => e !== old), entry] };
      return state.connection === "ready" ? send(next, outgoing) : { state: next, effects: [] };
    }
    case "cancelHandover":
      return state.connection === "ready" && state.banner.state === "queued"
        ? send(state, { type: "cancelHandover" })
        : unchanged(state);
    case "typingExpired":
      return {
        state: {
          ...state,
          typing:
            event.source === "bot"
              ? { ...state.typing, bot: false }
              : { bot: state.typing.bot, agent: false },
        },
        effects: [],
      };
    case "localNotice":
      return { state: addNotice(state, { kind: "local", key: event.key, ...paramsOf(event) }), effects: [] };
    case "dismissNotice":
      return { state: { ...state, notices: state.notices.filter((n) => n.id !== event.id) }, effects: [] };
  }
}

function onFrame(state: ChatState, frame: WebchatServerFrame): Transition {
  switch (frame.type) {
    case "ready": {
      // The server's session is behind what this page has shown (its store was reset, or the session
      // expired and was recreated): the old seqs mean nothing any more, and keeping them would make the
      // dedupe swallow the new session's messages. Start the timeline again, keeping unsent messages.
      const reset = frame.lastSeq < state.lastSeq;
      const next: ChatState = {
        ...state,
        ...(reset
          ? { entries: state.entries.filter((e) => e.seq === undefined), lastSeq: frame.lastSeq }
          : {}),
        connection: "ready",
        banner: frame.handover ?? state.banner,
        typing: { bot: false, agent: false },
      };
      // Resend every unacknowledged message, oldest first, with its original clientMessageId: the server
      // is idempotent on it, so a message that did arrive before the drop is acknowledged, not repeated.
      const effects = next.entries
        .filter((e) => e.delivery === "sending" && e.outgoing)
        .map((e): ChatEffect => ({ type: "send", frame: e.outgoing! }));
      return { state: next, effects };
    }
    case "message":
      return { state: onMessage(state, frame.message), effects: [] };
    case "ack": {
      const own = state.entries.find((e) => e.key === frame.clientMessageId);
      if (!own || own.seq !== undefined) return unchanged(state);
      // The echo of this message (same seq) may have arrived first: then it is already on screen.
      if (state.entries.some((e) => e.seq === frame.seq)) {
        return { state: { ...state, entries: state.entries.filter((e) => e !== own) }, effects: [] };
      }
      const { outgoing: _sent, ...rest } = own;
      const acked: TimelineEntry = { ...rest, seq: frame.seq, delivery: "sent" };
      return {
        state: { ...state, entries: sortEntries(state.entries.map((e) => (e === own ? acked : e))) },
        effects: [],
      };
    }
    case "typing":
      return {
        state: {
          ...state,
          typing:
            frame.source === "bot"
              ? { ...state.typing, bot: frame.active }
              : {
                  bot: state.typing.bot,
                  agent: frame.active,
                  ...(frame.agentName !== undefined ? { agentName: frame.agentName } : {}),
                },
        },
        effects: [],
      };
    case "handover":
      return { state: { ...state, banner: frame.banner }, effects: [] };
    case "error": {
      const entries =
        frame.clientMessageId === undefined
          ? state.entries
          : state.entries.map((e) =>
              e.key === frame.clientMessageId && e.seq === undefined
                ? { ...e, delivery: "failed" as const }
                : e,
            );
      return {
        state: addNotice({ ...state, entries }, { kind: "server", code: frame.code, message: frame.message }),
        effects: [],
      };
    }
  }
}

function onMessage(state: ChatState, message: ConversationMessage): ChatState {
  if (!Number.isSafeInteger(message.seq) || message.seq < 1) return state;
  const lastSeq = Math.max(state.lastSeq, message.seq);
  const typing =
    message.source === "agent"
      ? { bot: state.typing.bot, agent: false }
      : message.source === "bot"
        ? { ...state.typing, bot: false }
        : state.typing;
  const shown = toEntry(message);
  const own =
    message.source === "user" && message.clientMessageId !== undefined
      ? state.entries.find((e) => e.key === message.clientMessageId)
      : undefined;
  const duplicate = state.entries.some((e) => e.seq === message.seq);

  let entries: readonly TimelineEntry[];
  if (own && (own.seq === undefined || own.seq === message.seq)) {
    // The page's own message coming back: the server's copy replaces the local one in place (same key).
    const others = duplicate
      ? state.entries.filter((e) => e.seq !== message.seq || e === own)
      : state.entries;
    entries = sortEntries(
      others.map((e) => (e === own ? { ...shown, key: own.key, delivery: "sent" as const } : e)),
    );
  } else if (duplicate) {
    entries = state.entries;
  } else {
    entries = sortEntries([...state.entries, shown]);
  }
  return { ...state, entries, lastSeq, typing };
}

function toEntry(m: ConversationMessage): TimelineEntry {
  return {
    key: `seq:${m.seq}`,
    seq: m.seq,
    source: m.source,
    createdAt: m.createdAt,
    ...(m.text !== undefined ? { text: m.text } : {}),
    ...(m.quickReplies?.length ? { quickReplies: m.quickReplies } : {}),
    ...(m.card !== undefined ? { card: m.card } : {}),
    ...(m.attachments?.length ? { attachments: m.attachments } : {}),
    ...(m.agentName !== undefined ? { agentName: m.agentName } : {}),
  };
}

/** Acknowledged messages in seq order, then the unacknowledged ones in the order they were written. */
function sortEntries(entries: readonly TimelineEntry[]): readonly TimelineEntry[] {
  return [...entries].sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
}

/**
 * Quick replies belong to the moment they were offered: they show only until the person writes anything
 * after that message (by clicking one of them or by typing), and never again after a reload.
 */
export function showsQuickReplies(entries: readonly TimelineEntry[], index: number): boolean {
  const entry = entries[index];
  if (!entry?.quickReplies?.length) return false;
  return !entries.slice(index + 1).some((e) => e.source === "user");
}

function send(state: ChatState, frame: WebchatClientFrame): Transition {
  return { state, effects: [{ type: "send", frame }] };
}

function unchanged(state: ChatState): Transition {
  return { state, effects: [] };
}

type NoticeBody =
  | { readonly kind: "server"; readonly code: string; readonly message: string }
  | { readonly kind: "local"; readonly key: MessageKey; readonly params?: Readonly<Record<string, string>> };

function addNotice(state: ChatState, notice: NoticeBody): ChatState {
  const notices = [...state.notices, { ...notice, id: state.nextNoticeId } as Notice].slice(-maxNotices);
  return { ...state, notices, nextNoticeId: state.nextNoticeId + 1 };
}

function paramsOf(event: { readonly params?: Readonly<Record<string, string>> }): {
  params?: Readonly<Record<string, string>>;
} {
  return event.params !== undefined ? { params: event.params } : {};
}
