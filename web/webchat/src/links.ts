/**
 * URL and text helpers for content that comes from bots and agents, i.e. untrusted. Nothing here produces
 * HTML: callers build elements and set textContent/href from these results.
 */

/**
 * The URL if it is safe to put in an href or src: absolute http(s) (or relative to the page), never
 * `javascript:`, `data:` or other schemes. `mailto:` and `tel:` are allowed for links only.
 */
export function safeUrl(url: unknown, base: string, kind: "link" | "image" = "link"): string | undefined {
  if (typeof url !== "string" || url.trim() === "") return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url.trim(), base);
  } catch {
    return undefined;
  }
  const allowed = kind === "link" ? ["http:", "https:", "mailto:", "tel:"] : ["http:", "https:"];
  return allowed.includes(parsed.protocol) ? parsed.href : undefined;
}

export type TextPart =
  { readonly kind: "text"; readonly text: string } | { readonly kind: "link"; readonly url: string };

/**
 * Splits plain text into text and http(s) links, so agents' links are clickable without any HTML parsing.
 * Trailing punctuation stays text ("see https://x.example/a." links to …/a).
 */
export function splitLinks(text: string): readonly TextPart[] {
  const parts: TextPart[] = [];
  const pattern = /\bhttps?:\/\/[^\s<>"]+/gi;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    let url = match[0];
    const trailing = /[.,;:!?)\]}'’”]+$/.exec(url);
    if (trailing) url = url.slice(0, url.length - trailing[0].length);
    const start = match.index;
    if (start > last) parts.push({ kind: "text", text: text.slice(last, start) });
    parts.push({ kind: "link", url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
  return parts;
}

/** "1.2 MB", "340 KB": sizes for attachments and the upload limit. */
export function formatBytes(bytes: number, locale: string): string {
  const format = (value: number, unit: string): string =>
    `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value)} ${unit}`;
  if (bytes >= 1024 * 1024) return format(bytes / (1024 * 1024), "MB");
  if (bytes >= 1024) return format(bytes / 1024, "KB");
  return format(bytes, "B");
}
