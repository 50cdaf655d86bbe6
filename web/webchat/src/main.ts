import "./styles.css";
import type { WebchatServerFrame } from "../../../src/protocol/webchat.ts";
import { type OutgoingAttachment, maxAttachmentBytes, readAttachment } from "./attachments.ts";
import { type ChatEvent, type ChatState, initialChatState, reduce } from "./chat-state.ts";
import { createChatView } from "./chat-view.ts";
import { formatBytes } from "./links.ts";
import { createTranslator } from "./messages.ts";
import {
  type KeyValueStorage,
  newId,
  resolveEndpointToken,
  resolveLocale,
  resolveSessionId,
  resolveUserId,
  webSocketUrl,
} from "./page-config.ts";
import { type ReconnectingSocket, createReconnectingSocket } from "./reconnecting-socket.ts";
import { parseServerFrame } from "./server-frames.ts";
import { createTypingNotifier } from "./typing-notifier.ts";

/**
 * Boot: wires the pure state (chat-state.ts), the DOM view (chat-view.ts) and the socket
 * (reconnecting-socket.ts). Reload keeps the conversation through the server's replay: the tab keeps its
 * sessionId, a fresh page says hello with lastSeq 0, and the gateway sends the whole session again.
 */

/** A typing indicator whose `active: false` got lost disappears after this long without a refresh. */
const typingExpiryMs = 20_000;

function storage(kind: "localStorage" | "sessionStorage"): KeyValueStorage | undefined {
  try {
    return window[kind];
  } catch {
    return undefined;
  }
}

function boot(): void {
  const locale = resolveLocale(
    location.search,
    navigator.languages?.length ? navigator.languages : [navigator.language],
  );
  const t = createTranslator(locale.catalog);
  document.documentElement.lang = locale.catalog;
  document.title = t("pageTitle");
  applyStaticText(t);

  const composer = document.getElementById("composer") as HTMLTextAreaElement;
  const form = document.getElementById("composer-form") as HTMLFormElement;
  const attachButton = document.getElementById("attach") as HTMLButtonElement;
  const fileInput = document.getElementById("file") as HTMLInputElement;

  const token = resolveEndpointToken(
    location.search,
    document.querySelector<HTMLMetaElement>('meta[name="baton-endpoint"]')?.content,
  );
  const userId = resolveUserId(storage("localStorage"), () => newId());
  const sessionId = resolveSessionId(location.search, storage("sessionStorage"), token ?? "none", () =>
    newId(),
  );

  let state: ChatState = initialChatState({ userId, sessionId, locale: locale.tag });
  const typingTimers: Partial<Record<"bot" | "agent", ReturnType<typeof setTimeout>>> = {};

  const view = createChatView(document, t, locale.tag, {
    onQuickReply: (reply) => {
      sendMessage({ text: reply.title, data: { payload: reply.payload } });
    },
    onCardSubmit: (title, data) => {
      sendMessage({ text: title?.trim() || t("cardSubmitted"), data });
    },
    onCancelHandover: () => {
      dispatch({ type: "cancelHandover" });
      composer.focus();
    },
    onDismissNotice: (id) => {
      dispatch({ type: "dismissNotice", id });
      composer.focus();
    },
    onRetry: (key) => {
      dispatch({ type: "retry", clientMessageId: key });
      composer.focus();
    },
  });

  const connection: ReconnectingSocket | undefined = token
    ? createReconnectingSocket({
        url: webSocketUrl(location, token),
        // A socket that opens but never gets `ready` is retried.
        readyTimeoutMs: 15_000,
        onOpen: () => dispatch({ type: "opened" }),
        onClose: () => dispatch({ type: "closed" }),
        onMessage: (data) => {
          const frame = parseServerFrame(data);
          if (!frame) return;
          if (frame.type === "ready") connection?.markHealthy();
          if (frame.type === "typing") scheduleTypingExpiry(frame);
          dispatch({ type: "frame", frame });
        },
      })
    : undefined;

  const typing = createTypingNotifier({
    send: (active) => {
      if (state.connection === "ready") connection?.send(JSON.stringify({ type: "typing", active }));
    },
  });

  function dispatch(event: ChatEvent): void {
    const { state: next, effects } = reduce(state, event);
    state = next;
    // A frame that cannot go out now is not lost: unacknowledged messages are resent on the next `ready`.
    for (const effect of effects) connection?.send(JSON.stringify(effect.frame));
    view.render(state);
  }

  function scheduleTypingExpiry(frame: Extract<WebchatServerFrame, { type: "typing" }>): void {
    clearTimeout(typingTimers[frame.source]);
    if (frame.active) {
      typingTimers[frame.source] = setTimeout(
        () => dispatch({ type: "typingExpired", source: frame.source }),
        typingExpiryMs,
      );
    }
  }

  function sendMessage(content: {
    text?: string;
    data?: Readonly<Record<string, unknown>>;
    attachments?: readonly OutgoingAttachment[];
  }): void {
    typing.stop();
    dispatch({ type: "send", clientMessageId: newId(), createdAt: new Date().toISOString(), ...content });
    composer.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = composer.value.trim();
    if (!text) return;
    composer.value = "";
    autosize(composer);
    sendMessage({ text });
  });
  composer.addEventListener("keydown", (event) => {
    // isComposing: Enter confirms an IME composition (Japanese, Chinese…) and must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  composer.addEventListener("input", () => {
    autosize(composer);
    if (composer.value.trim()) typing.input();
    else typing.stop();
  });
  attachButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    composer.focus();
    if (!file) return;
    readAttachment(file)
      .then((result) => {
        if (result.ok) sendMessage({ attachments: [result.attachment] });
        else if (result.reason === "tooLarge")
          dispatch({
            type: "localNotice",
            key: "fileTooLarge",
            params: { name: file.name, limit: formatBytes(maxAttachmentBytes, locale.tag) },
          });
        else dispatch({ type: "localNotice", key: "fileUnreadable", params: { name: file.name } });
      })
      // A file that cannot be read is a result above; what lands here is a bug in sending or rendering.
      .catch((error: unknown) => console.error("attachment not sent", error));
  });
  window.addEventListener("online", () => connection?.reconnectNow());

  view.render(state);
  if (!connection) {
    dispatch({ type: "localNotice", key: "notConfigured" });
    const status = document.getElementById("connection-status");
    if (status) status.hidden = true;
    for (const control of [composer, attachButton, document.getElementById("send")]) {
      if (control instanceof HTMLTextAreaElement || control instanceof HTMLButtonElement)
        control.disabled = true;
    }
    return;
  }
  connection.start();
  composer.focus();
}

function autosize(textarea: HTMLTextAreaElement): void {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight, 160)}px`;
}

function applyStaticText(t: ReturnType<typeof createTranslator>): void {
  const set = (id: string, apply: (node: HTMLElement) => void): void => {
    const node = document.getElementById(id);
    if (node) apply(node);
  };
  set("heading", (n) => (n.textContent = t("heading")));
  set("log", (n) => n.setAttribute("aria-label", t("conversationLabel")));
  set("composer-label", (n) => (n.textContent = t("composerLabel")));
  set("composer", (n) => n.setAttribute("placeholder", t("composerPlaceholder")));
  set("attach", (n) => {
    n.setAttribute("aria-label", t("attach"));
    n.title = t("attach");
  });
  set("send", (n) => {
    n.setAttribute("aria-label", t("send"));
    n.title = t("send");
  });
}

boot();
