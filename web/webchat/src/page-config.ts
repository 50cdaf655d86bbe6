import type { Locale } from "./messages.ts";

/**
 * Where the page connects and in which language it speaks, read from the page's URL and markup. Pure
 * functions of their inputs, so they are tested without a browser.
 *
 * The gateway serves this page as a static file and injects nothing: the endpoint comes from `?token=` or,
 * for an operator who hosts a copy of the page, from `<meta name="baton-endpoint" content="...">`.
 */

/** The endpoint's URL token, or undefined when the page is not configured. `?token=` wins over the meta tag. */
export function resolveEndpointToken(
  search: string,
  metaContent: string | null | undefined,
): string | undefined {
  const fromQuery = new URLSearchParams(search).get("token")?.trim();
  const token = fromQuery || metaContent?.trim() || undefined;
  // A token is a path segment; anything beyond these characters is a typo or an attempt to change the path.
  return token !== undefined && /^[A-Za-z0-9_-]{1,256}$/.test(token) ? token : undefined;
}

/** `ws(s)://<same host>/endpoints/<token>/ws`: wss when the page itself came over https. */
export function webSocketUrl(
  location: { readonly protocol: string; readonly host: string },
  token: string,
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/endpoints/${encodeURIComponent(token)}/ws`;
}

export interface LocaleChoice {
  /** The catalog the page shows. */
  readonly catalog: Locale;
  /** The BCP-47 tag sent in `hello` (the flow may know more languages than the page). */
  readonly tag: string;
}

/** `?lang=` first, then the browser's preferred languages; `de*` → German, anything else → English. */
export function resolveLocale(search: string, browserLanguages: readonly string[]): LocaleChoice {
  const requested = new URLSearchParams(search).get("lang")?.trim();
  const isTag = (value: string | undefined): value is string =>
    value !== undefined && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(value);
  const tag = isTag(requested) ? requested : (browserLanguages.find(isTag) ?? "en");
  return { catalog: tag.toLowerCase().startsWith("de") ? "de" : "en", tag };
}

/** The part of Web Storage the page uses; storage can be unavailable (privacy modes), so failures fall back. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function readOrCreate(storage: KeyValueStorage | undefined, key: string, create: () => string): string {
  try {
    const existing = storage?.getItem(key);
    if (existing) return existing;
  } catch {
    // Storage disabled: the id lives as long as the page.
  }
  const value = create();
  try {
    storage?.setItem(key, value);
  } catch {
    // As above.
  }
  return value;
}

/** A stable user id per browser (localStorage). */
export function resolveUserId(local: KeyValueStorage | undefined, newId: () => string): string {
  return readOrCreate(local, "baton.webchat.userId", newId);
}

/**
 * A session id per tab and endpoint (sessionStorage), so a reload continues the conversation and a new tab
 * starts a new one; `?session=` picks a session explicitly (and is remembered for the tab).
 */
export function resolveSessionId(
  search: string,
  session: KeyValueStorage | undefined,
  token: string,
  newId: () => string,
): string {
  const key = `baton.webchat.sessionId.${token}`;
  const requested = new URLSearchParams(search).get("session")?.trim();
  if (requested && /^[A-Za-z0-9_.:-]{1,128}$/.test(requested)) {
    try {
      session?.setItem(key, requested);
    } catch {
      // Storage disabled: the query parameter still applies to this load.
    }
    return requested;
  }
  return readOrCreate(session, key, newId);
}

/**
 * A random UUID. `crypto.randomUUID` exists only in secure contexts (https, localhost); a gateway reached over
 * plain http on a LAN address still has `getRandomValues`, so build a v4 UUID from that.
 */
export function newId(
  source: Pick<Crypto, "getRandomValues"> & { randomUUID?: () => string } = crypto,
): string {
  if (typeof source.randomUUID === "function") return source.randomUUID();
  const bytes = source.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
