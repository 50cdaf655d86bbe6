import type { QuickReply } from "../../../src/protocol/messages.ts";
import { renderAdaptiveCard } from "./adaptive-card.ts";
import { type ChatState, type Notice, type TimelineEntry, showsQuickReplies } from "./chat-state.ts";
import { formatBytes, safeUrl, splitLinks } from "./links.ts";
import type { Translate } from "./messages.ts";

/**
 * The thin DOM side of the page: draws a ChatState into the skeleton of index.html. Untrusted text only ever
 * goes through textContent / attributes (never innerHTML); cards go through the adaptivecards renderer with
 * markdown off (adaptive-card.ts).
 *
 * Message elements are created once per entry key and then only updated (delivery state, quick replies),
 * so a card's inputs keep what the person typed while other messages arrive.
 */

export interface ChatViewCallbacks {
  readonly onQuickReply: (reply: QuickReply) => void;
  readonly onCardSubmit: (title: string | undefined, data: Readonly<Record<string, unknown>>) => void;
  readonly onCancelHandover: () => void;
  readonly onDismissNotice: (id: number) => void;
  readonly onRetry: (key: string) => void;
}

export interface ChatView {
  render(state: ChatState): void;
}

interface Rendered {
  readonly root: HTMLElement;
  readonly entry: TimelineEntry;
  readonly delivery?: HTMLElement;
  readonly quickReplies?: HTMLElement;
}

export function createChatView(
  doc: Document,
  t: Translate,
  locale: string,
  callbacks: ChatViewCallbacks,
): ChatView {
  const log = byId(doc, "log");
  const banner = byId(doc, "banner");
  const bannerText = byId(doc, "banner-text");
  const bannerQueue = byId(doc, "banner-queue");
  const cancelButton = byId(doc, "cancel-handover") as HTMLButtonElement;
  const typing = byId(doc, "typing");
  const status = byId(doc, "connection-status");
  const statusText = byId(doc, "connection-status-text");
  const notices = byId(doc, "notices");
  const timeFormat = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });

  const rendered = new Map<string, Rendered>();
  const renderedNotices = new Map<number, HTMLElement>();
  let previous: ChatState | undefined;

  cancelButton.addEventListener("click", () => callbacks.onCancelHandover());

  // Follow the conversation while the person is at the bottom; leave them alone when they scrolled up to
  // read. The log also shrinks (typing row, banner, keyboard on phones) and grows (images loading) without
  // any new message, so those re-pin it too.
  let stickToBottom = true;
  const pin = (): void => {
    if (stickToBottom) log.scrollTop = log.scrollHeight;
  };
  log.addEventListener("scroll", () => {
    stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  });
  if (typeof ResizeObserver === "function") new ResizeObserver(pin).observe(log);
  log.addEventListener("load", pin, true);

  function renderMessages(state: ChatState): void {
    const keys = new Set(state.entries.map((e) => e.key));
    for (const [key, item] of rendered) {
      if (!keys.has(key)) {
        item.root.remove();
        rendered.delete(key);
      }
    }
    let added = false;
    state.entries.forEach((entry, index) => {
      let item = rendered.get(entry.key);
      if (item && contentChanged(item.entry, entry)) {
        item.root.remove();
        item = undefined;
      }
      if (!item) {
        item = createMessage(entry);
        rendered.set(entry.key, item);
        added = true;
      }
      item = updateMessage(item, entry, state.entries, index);
      rendered.set(entry.key, item);
      // Keep DOM order = state order (an acked message can move before a later-sent one).
      const expected =
        index === 0
          ? log.firstElementChild
          : rendered.get(state.entries[index - 1]!.key)?.root.nextElementSibling;
      if (expected !== item.root) {
        if (index === 0) log.prepend(item.root);
        else rendered.get(state.entries[index - 1]!.key)!.root.after(item.root);
      }
    });
    // Sending something always brings the person back to the end of the conversation.
    if (added && state.entries.at(-1)?.source === "user") stickToBottom = true;
    pin();
  }

  function createMessage(entry: TimelineEntry): Rendered {
    const root = el(doc, "div", `message message-${entry.source}`);
    root.dataset.testid = `message-${entry.source}`;
    if (entry.seq !== undefined) root.dataset.seq = String(entry.seq);

    if (entry.source === "system") {
      const text = el(doc, "p", "system-text");
      text.append(el(doc, "span", "sr-only", `${t("system")}: `));
      appendText(text, entry.text ?? "");
      root.append(text);
      return { root, entry };
    }

    const sender =
      entry.source === "user"
        ? t("you")
        : entry.source === "bot"
          ? t("bot")
          : entry.agentName?.trim() || t("agentFallback");
    if (entry.source !== "user") root.append(avatar(entry, sender));

    const body = el(doc, "div", "message-body");
    const meta = el(doc, "div", "meta");
    meta.append(el(doc, "span", entry.source === "user" ? "sender sr-only" : "sender", sender));
    const time = formatTime(entry.createdAt);
    if (time) {
      const timeEl = el(doc, "time", "time", time.text);
      timeEl.setAttribute("datetime", time.iso);
      meta.append(timeEl);
    }
    body.append(meta);

    if (entry.text || entry.attachments?.length) {
      const bubble = el(doc, "div", "bubble");
      if (entry.text) {
        const text = el(doc, "p", "text");
        appendText(text, entry.text);
        bubble.append(text);
      }
      if (entry.attachments?.length) bubble.append(attachmentList(entry));
      body.append(bubble);
    }
    if (entry.card) {
      const card = el(doc, "div", "card");
      card.dataset.testid = "adaptive-card";
      const rendered = renderAdaptiveCard(entry.card, {
        baseUrl: doc.baseURI,
        onSubmit: (title, data) => callbacks.onCardSubmit(title, data),
      });
      if (rendered) card.append(rendered);
      else card.append(el(doc, "p", "card-unavailable", t("cardUnavailable")));
      body.append(card);
    }

    let quickReplies: HTMLElement | undefined;
    if (entry.quickReplies?.length) {
      quickReplies = el(doc, "div", "quick-replies");
      quickReplies.setAttribute("role", "group");
      quickReplies.setAttribute("aria-label", t("quickRepliesLabel"));
      for (const reply of entry.quickReplies) {
        const button = el(doc, "button", "quick-reply", reply.title) as HTMLButtonElement;
        button.type = "button";
        button.dataset.testid = "quick-reply";
        button.addEventListener("click", () => callbacks.onQuickReply(reply));
        quickReplies.append(button);
      }
      body.append(quickReplies);
    }

    let delivery: HTMLElement | undefined;
    if (entry.source === "user") {
      delivery = el(doc, "div", "delivery");
      delivery.dataset.testid = "delivery-status";
      body.append(delivery);
    }
    root.append(body);
    return { root, entry, ...(delivery ? { delivery } : {}), ...(quickReplies ? { quickReplies } : {}) };
  }

  function updateMessage(
    item: Rendered,
    entry: TimelineEntry,
    entries: readonly TimelineEntry[],
    index: number,
  ): Rendered {
    if (entry.seq !== undefined) item.root.dataset.seq = String(entry.seq);
    const before = entries[index - 1];
    const continued =
      before !== undefined &&
      before.source === entry.source &&
      entry.source !== "system" &&
      before.agentName === entry.agentName;
    item.root.classList.toggle("continued", continued);

    if (item.quickReplies) {
      const visible = showsQuickReplies(entries, index);
      if (!visible && item.quickReplies.isConnected) {
        // Moving focus away from a removed button would drop it on <body>; keep it in the composer.
        const hadFocus = item.quickReplies.contains(doc.activeElement);
        item.quickReplies.remove();
        if (hadFocus) doc.getElementById("composer")?.focus();
      }
    }
    const delivery = entry.delivery ?? "sent";
    if (item.delivery && item.root.dataset.delivery !== delivery) {
      item.root.dataset.delivery = delivery;
      item.delivery.dataset.state = delivery;
      item.delivery.replaceChildren();
      if (delivery === "sending") item.delivery.textContent = t("sending");
      if (delivery === "failed") {
        const retry = el(doc, "button", "link-button", t("retry")) as HTMLButtonElement;
        retry.type = "button";
        retry.dataset.testid = "retry";
        retry.addEventListener("click", () => callbacks.onRetry(entry.key));
        item.delivery.append(el(doc, "span", "failed", t("notSent")), " ", retry);
      }
    }
    return { ...item, entry };
  }

  function avatar(entry: TimelineEntry, sender: string): HTMLElement {
    const node = el(doc, "div", "avatar");
    node.setAttribute("aria-hidden", "true");
    if (entry.source === "agent") {
      node.textContent = initialOf(sender);
      node.classList.add(`avatar-agent-${hash(sender) % 4}`);
    } else {
      node.append(botIcon(doc));
    }
    return node;
  }

  function attachmentList(entry: TimelineEntry): HTMLElement {
    const list = el(doc, "ul", "attachments");
    list.setAttribute("aria-label", t("attachment"));
    for (const file of entry.attachments ?? []) {
      const item = el(doc, "li", "attachment");
      item.dataset.testid = "attachment";
      const href = safeUrl(file.url, doc.baseURI);
      const isImage = file.contentType?.startsWith("image/") ?? false;
      const imageSrc = isImage ? safeUrl(file.url, doc.baseURI, "image") : undefined;
      if (href) {
        const link = el(doc, "a", "attachment-link") as HTMLAnchorElement;
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        if (imageSrc) {
          const img = el(doc, "img", "attachment-image") as HTMLImageElement;
          img.src = imageSrc;
          img.alt = t("imageAlt", { name: file.name });
          img.loading = "lazy";
          link.append(img);
        } else {
          link.append(paperclipIcon(doc), el(doc, "span", "attachment-name", file.name));
          if (file.size !== undefined)
            link.append(el(doc, "span", "attachment-size", formatBytes(file.size, locale)));
        }
        link.append(el(doc, "span", "sr-only", ` ${t("opensInNewTab")}`));
        item.append(link);
      } else {
        item.append(paperclipIcon(doc), el(doc, "span", "attachment-name", file.name));
      }
      list.append(item);
    }
    return list;
  }

  function appendText(parent: HTMLElement, text: string): void {
    for (const part of splitLinks(text)) {
      const href = part.kind === "link" ? safeUrl(part.url, doc.baseURI) : undefined;
      if (part.kind === "link" && href) {
        const link = el(doc, "a", "text-link", part.url) as HTMLAnchorElement;
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        parent.append(link);
      } else {
        parent.append(doc.createTextNode(part.kind === "text" ? part.text : part.url));
      }
    }
  }

  function formatTime(iso: string): { text: string; iso: string } | undefined {
    const date = new Date(iso);
    return Number.isNaN(date.getTime())
      ? undefined
      : { text: timeFormat.format(date), iso: date.toISOString() };
  }

  function renderBanner(state: ChatState): void {
    const b = state.banner;
    banner.hidden = b.state === "none";
    banner.dataset.state = b.state;
    bannerQueue.hidden = true;
    cancelButton.hidden = true;
    switch (b.state) {
      case "none":
        bannerText.textContent = "";
        break;
      case "queued":
        bannerText.textContent = t("bannerQueued");
        if (b.queueName) {
          bannerQueue.hidden = false;
          bannerQueue.textContent = t("bannerQueueName", { queue: b.queueName });
        }
        if (b.cancelLabel) {
          cancelButton.hidden = false;
          cancelButton.textContent = b.cancelLabel;
          cancelButton.disabled = state.connection !== "ready";
        }
        break;
      case "active":
        bannerText.textContent = b.agentName
          ? t("bannerActive", { name: b.agentName })
          : t("bannerActiveAnonymous");
        break;
      case "transferring":
        bannerText.textContent = t("bannerTransferring");
        break;
    }
  }

  function renderTyping(state: ChatState): void {
    const { agent, bot, agentName } = state.typing;
    typing.hidden = !agent && !bot;
    typing.replaceChildren();
    if (agent) {
      typing.dataset.source = "agent";
      typing.append(
        el(
          doc,
          "span",
          "typing-text",
          agentName ? t("typingAgent", { name: agentName }) : t("typingAgentAnonymous"),
        ),
      );
    } else if (bot) {
      typing.dataset.source = "bot";
      const dots = el(doc, "span", "dots");
      dots.setAttribute("aria-hidden", "true");
      dots.append(el(doc, "span"), el(doc, "span"), el(doc, "span"));
      typing.append(dots, el(doc, "span", "sr-only", t("typingBot")));
    } else {
      delete typing.dataset.source;
    }
  }

  function renderStatus(state: ChatState): void {
    status.dataset.state = state.connection;
    statusText.textContent =
      state.connection === "ready"
        ? t("statusConnected")
        : state.connection === "connecting"
          ? t("statusConnecting")
          : t("statusReconnecting");
  }

  function renderNotices(state: ChatState): void {
    const ids = new Set(state.notices.map((n) => n.id));
    for (const [id, node] of renderedNotices) {
      if (!ids.has(id)) {
        node.remove();
        renderedNotices.delete(id);
      }
    }
    for (const notice of state.notices) {
      if (renderedNotices.has(notice.id)) continue;
      const node = createNotice(notice);
      renderedNotices.set(notice.id, node);
      notices.append(node);
    }
  }

  function createNotice(notice: Notice): HTMLElement {
    const node = el(doc, "div", "notice");
    node.setAttribute("role", "alert");
    node.dataset.testid = "error-notice";
    const text = el(doc, "p", "notice-text");
    if (notice.kind === "server") {
      text.append(
        el(doc, "strong", "notice-code", t("errorNotice", { code: notice.code })),
        " ",
        notice.message,
      );
      node.dataset.code = notice.code;
    } else {
      text.textContent = t(notice.key, notice.params);
    }
    const dismiss = el(doc, "button", "icon-button notice-dismiss", "×") as HTMLButtonElement;
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", t("dismiss"));
    dismiss.dataset.testid = "dismiss-notice";
    dismiss.addEventListener("click", () => callbacks.onDismissNotice(notice.id));
    node.append(text, dismiss);
    return node;
  }

  return {
    render(state) {
      if (previous?.entries !== state.entries) renderMessages(state);
      if (previous?.banner !== state.banner || previous.connection !== state.connection) renderBanner(state);
      if (previous?.typing !== state.typing) renderTyping(state);
      if (previous?.connection !== state.connection) renderStatus(state);
      if (previous?.notices !== state.notices) renderNotices(state);
      previous = state;
      pin();
    },
  };
}

/** An own message replaced by the server's copy (e.g. attachments now with URLs) is drawn again. */
function contentChanged(a: TimelineEntry, b: TimelineEntry): boolean {
  return (
    a.text !== b.text ||
    a.attachments !== b.attachments ||
    a.card !== b.card ||
    a.quickReplies !== b.quickReplies
  );
}

function byId(doc: Document, id: string): HTMLElement {
  const node = doc.getElementById(id);
  if (!node) throw new Error(`index.html lacks #${id}`);
  return node;
}

function el(doc: Document, tag: string, className?: string, text?: string): HTMLElement {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function initialOf(name: string): string {
  return (Array.from(name.trim())[0] ?? "?").toLocaleUpperCase();
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h;
}

const svgNs = "http://www.w3.org/2000/svg";

function svgIcon(doc: Document, d: string, className: string): SVGSVGElement {
  const svg = doc.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", className);
  const path = doc.createElementNS(svgNs, "path");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
}

function botIcon(doc: Document): SVGSVGElement {
  return svgIcon(
    doc,
    "M12 2a1 1 0 0 1 1 1v1.05A7 7 0 0 1 19 11v5a3 3 0 0 1-3 3H8a3 3 0 0 1-3-3v-5a7 7 0 0 1 6-6.95V3a1 1 0 0 1 1-1Zm-3 9.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Z",
    "icon",
  );
}

function paperclipIcon(doc: Document): SVGSVGElement {
  return svgIcon(
    doc,
    "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10h-1.5Z",
    "icon icon-small",
  );
}
