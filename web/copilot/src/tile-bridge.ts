import { isRecord } from "./server-frames.ts";

/**
 * The postMessage bridge between the workspace and its HTML and iFrame tiles. Pure parts only (tested
 * without a DOM); tile-frames.tsx wires them to real iframes.
 *
 * Tile → workspace: `{ baton: "copilot-tile", type: "postback", id, value }`, sent by `SDK.postback(value)`
 * (injected into HTML tiles) or by an iFrame tile's own code. `id` is unique per call; the workspace accepts a
 * message only from the window of a registered tile (`event.source`), only from the origin it expects, and
 * each id once. With one listener for all tiles and this dedupe, several HTML tiles never fire the same
 * postback twice (in Cognigy.AI 4.98 several HTML tiles fired one postback more than once).
 *
 * Workspace → tile: `{ baton: "copilot-host", type: "data", tileId, data }` on the frame's `load` and on
 * each `sendData` (no reload). In HTML tiles `SDK.onData(fn)` and `SDK.data` expose it.
 */

export interface TilePostback {
  readonly id: string;
  readonly value: unknown;
}

export interface HostDataMessage {
  readonly baton: "copilot-host";
  readonly type: "data";
  readonly tileId: string;
  readonly data: unknown;
}

export function hostDataMessage(tileId: string, data: unknown): HostDataMessage {
  return { baton: "copilot-host", type: "data", tileId, data };
}

/** The largest postback value accepted (its JSON), so a runaway tile cannot flood the flow. */
export const maxPostbackChars = 64 * 1024;

/** A valid postback message, or undefined. The value must survive JSON (the wire format). */
export function parseTileMessage(data: unknown): TilePostback | undefined {
  if (!isRecord(data) || data.baton !== "copilot-tile" || data.type !== "postback") return undefined;
  if (typeof data.id !== "string" || data.id.length === 0 || data.id.length > 128) return undefined;
  if (!("value" in data) || data.value === undefined) return undefined;
  let json: string;
  try {
    json = JSON.stringify(data.value);
  } catch {
    return undefined;
  }
  if (json.length > maxPostbackChars) return undefined;
  return { id: data.id, value: JSON.parse(json) as unknown };
}

/** Remembers the last `limit` message ids per tile; `accept` is true once per (tile, id). */
export function createPostbackDeduper(limit = 200): { accept(tileId: string, id: string): boolean } {
  const seen = new Map<string, string[]>();
  return {
    accept(tileId, id) {
      const ids = seen.get(tileId) ?? [];
      if (ids.includes(id)) return false;
      ids.push(id);
      if (ids.length > limit) ids.shift();
      seen.set(tileId, ids);
      return true;
    },
  };
}

/** A tile frame the workspace listens to: its window and the origin its messages must come from. */
export interface TileRegistration<W> {
  readonly tileId: string;
  readonly window: () => W | null | undefined;
  /** `"null"` for sandboxed frames without allow-same-origin (opaque origin), else the URL's origin. */
  readonly expectedOrigin: string;
}

/**
 * The tile a message event belongs to and its postback, or undefined when the message is not from a
 * registered tile window, comes from another origin, is malformed, or was already handled.
 */
export function routeTileMessage<W>(
  registrations: Iterable<TileRegistration<W>>,
  event: { readonly source: unknown; readonly origin: string; readonly data: unknown },
  deduper: { accept(tileId: string, id: string): boolean },
): { readonly tileId: string; readonly value: unknown } | undefined {
  if (event.source === null || event.source === undefined) return undefined;
  for (const registration of registrations) {
    if (registration.window() !== event.source) continue;
    if (event.origin !== registration.expectedOrigin) return undefined;
    const postback = parseTileMessage(event.data);
    if (postback === undefined || !deduper.accept(registration.tileId, postback.id)) return undefined;
    return { tileId: registration.tileId, value: postback.value };
  }
  return undefined;
}

/**
 * The SDK injected into every HTML tile, before the tile's own scripts. `SDK.postback(value)` sends one
 * message per call, with a fresh id; `SDK.onData(fn)` is called with the current data and every update.
 */
export const tileSdkSource = `(function () {
  "use strict";
  var counter = 0;
  var listeners = [];
  var hasData = false;
  var current;
  var prefix = Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  function postback(value) {
    if (value === undefined) throw new TypeError("SDK.postback needs a value");
    counter += 1;
    var message = { baton: "copilot-tile", type: "postback", id: prefix + "-" + counter, value: JSON.parse(JSON.stringify(value)) };
    window.parent.postMessage(message, "*");
  }
  function onData(listener) {
    if (typeof listener !== "function") return;
    listeners.push(listener);
    if (hasData) listener(current);
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) return;
    var m = event.data;
    if (!m || m.baton !== "copilot-host" || m.type !== "data") return;
    current = m.data;
    hasData = true;
    for (var i = 0; i < listeners.length; i++) {
      try { listeners[i](current); } catch (error) { console.error(error); }
    }
    window.dispatchEvent(new CustomEvent("copilot:data", { detail: current }));
  });
  window.SDK = Object.freeze({
    postback: postback,
    onData: onData,
    get data() { return current; }
  });
})();`;

/**
 * The `srcdoc` of an HTML tile: the tile's HTML with the SDK injected first (after `<head>` when the HTML is
 * a whole document, else ahead of a minimal document). `</script` inside the SDK cannot occur, so the
 * injected script cannot be closed early.
 */
export function buildSrcdoc(html: string): string {
  const sdk = `<script>${tileSdkSource}</script>`;
  const base = `<meta charset="utf-8"><meta name="referrer" content="no-referrer">`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head) {
    const at = head.index + head[0].length;
    return `${html.slice(0, at)}${base}${sdk}${html.slice(at)}`;
  }
  const htmlTag = /<html(\s[^>]*)?>/i.exec(html);
  if (htmlTag) {
    const at = htmlTag.index + htmlTag[0].length;
    return `${html.slice(0, at)}<head>${base}${sdk}</head>${html.slice(at)}`;
  }
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  const rest = doctype ? html.slice(doctype[0].length) : html;
  return `<!doctype html><html><head>${base}${sdk}<style>body{margin:0;font-family:system-ui,sans-serif}</style></head><body>${rest}</body></html>`;
}

/** How an iFrame tile's page is embedded, or undefined when its URL is not http(s). */
export interface IframePolicy {
  readonly src: string;
  readonly sandbox: string;
  /** `targetOrigin` for postMessage to the frame. */
  readonly targetOrigin: string;
  /** The origin its messages must come from. */
  readonly expectedOrigin: string;
}

/**
 * Safe defaults for an iFrame tile:
 * - another origin: `allow-scripts allow-forms allow-same-origin allow-popups` — the page keeps its own
 *   origin (its log-in, cookies and storage work) and the browser's same-origin policy already keeps it out
 *   of the workspace; data goes to that origin only, and messages are accepted from that origin only;
 * - the workspace's own origin: `allow-scripts allow-forms`, never `allow-same-origin` — with both, a
 *   same-origin page could remove its own sandbox and reach the workspace (its link carries the token); the
 *   page runs in an opaque origin instead, so its messages come from origin `"null"`.
 * Neither gets `allow-top-navigation`, `allow-modals` or `allow-downloads`.
 */
export function iframePolicy(url: string, pageHref: string): IframePolicy | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim(), pageHref);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  if (parsed.username !== "" || parsed.password !== "") return undefined;
  const pageOrigin = new URL(pageHref).origin;
  if (parsed.origin === pageOrigin) {
    return {
      src: parsed.href,
      sandbox: "allow-scripts allow-forms",
      targetOrigin: "*",
      expectedOrigin: "null",
    };
  }
  return {
    src: parsed.href,
    sandbox: "allow-scripts allow-forms allow-same-origin allow-popups",
    targetOrigin: parsed.origin,
    expectedOrigin: parsed.origin,
  };
}

/** The sandbox of HTML tiles: scripts only, in an opaque origin (no cookies, storage or parent access). */
export const htmlTileSandbox = "allow-scripts";
