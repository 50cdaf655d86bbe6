import type { Locale } from "./messages.ts";

/**
 * What the page reads from its URL: the link parameters, the WebSocket address and the language. Pure
 * functions of their inputs, tested without a browser.
 */

/** The parameters of the link the agent received; the page passes them on unchanged to `/copilot/ws`. */
export interface CopilotLinkParams {
  readonly userId: string;
  readonly sessionId: string;
  readonly URLToken: string;
  /** The signed, expiring link's JWT (optional stronger mode). */
  readonly auth?: string;
}

export type LinkParseResult =
  | { readonly ok: true; readonly params: CopilotLinkParams }
  | { readonly ok: false; readonly missing: readonly string[] };

const maxParamLength = 4096;

/**
 * The link parameters, or which of them are missing. The page does not judge their format (the gateway
 * does, and answers "not valid"); it only refuses empty or absurdly long values.
 */
export function parseLinkParams(search: string): LinkParseResult {
  const query = new URLSearchParams(search);
  const read = (name: string): string | undefined => {
    const value = query.get(name)?.trim();
    return value && value.length <= maxParamLength ? value : undefined;
  };
  const userId = read("userId");
  const sessionId = read("sessionId");
  // Cognigy.AI's Copilot embedding URL spells it `URLtoken`; accept both so existing links keep working.
  const URLToken = read("URLToken") ?? read("URLtoken");
  const auth = read("auth");
  if (userId === undefined || sessionId === undefined || URLToken === undefined) {
    const missing = [
      ...(userId === undefined ? ["userId"] : []),
      ...(sessionId === undefined ? ["sessionId"] : []),
      ...(URLToken === undefined ? ["URLToken"] : []),
    ];
    return { ok: false, missing };
  }
  return { ok: true, params: { userId, sessionId, URLToken, ...(auth !== undefined ? { auth } : {}) } };
}

/**
 * `ws(s)://<same host><dir>ws?<params>`: next to the page (the gateway serves the page at `/copilot/` and
 * the socket at `/copilot/ws`), wss when the page came over https.
 *
 * @example webSocketUrl({ protocol: "https:", host: "gw.example", pathname: "/copilot/" }, params)
 *   // "wss://gw.example/copilot/ws?userId=…&sessionId=…&URLToken=…"
 */
export function webSocketUrl(
  location: { readonly protocol: string; readonly host: string; readonly pathname: string },
  params: CopilotLinkParams,
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const dir = location.pathname.endsWith("/")
    ? location.pathname
    : location.pathname.slice(0, location.pathname.lastIndexOf("/") + 1) || "/";
  const query = new URLSearchParams({
    userId: params.userId,
    sessionId: params.sessionId,
    URLToken: params.URLToken,
  });
  if (params.auth !== undefined) query.set("auth", params.auth);
  return `${scheme}//${location.host}${dir}ws?${query.toString()}`;
}

/** `?lang=` first, then the browser's preferred languages; `de*` → German, anything else → English. */
export function resolveLocale(search: string, browserLanguages: readonly string[]): Locale {
  const requested = new URLSearchParams(search).get("lang")?.trim();
  const isTag = (value: string | undefined): value is string =>
    value !== undefined && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(value);
  const tag = isTag(requested) ? requested : (browserLanguages.find(isTag) ?? "en");
  return tag.toLowerCase().startsWith("de") ? "de" : "en";
}

/**
 * Close codes with which the gateway refuses a workspace link (after an `error` frame): the page stops
 * reconnecting and shows "This link is not valid or has expired". Any other close is retried with backoff.
 */
export const refusalCloseCodes: ReadonlySet<number> = new Set([4401, 4403, 4404]);

/** Error-frame codes that mean the same refusal, for a server that sends the frame but closes otherwise. */
const refusalErrorCodes: ReadonlySet<string> = new Set([
  // The gateway's (src/errors/catalog.ts, sent with close 4404).
  "baton_err_copilot_access_denied",
  "unauthorized",
  "forbidden",
  "not_found",
  "link_invalid",
  "link_expired",
  "auth_expired",
  "auth_invalid",
]);

export function isRefusalClose(code: number): boolean {
  return refusalCloseCodes.has(code);
}

export function isRefusalErrorCode(code: string): boolean {
  return refusalErrorCodes.has(code.toLowerCase());
}
