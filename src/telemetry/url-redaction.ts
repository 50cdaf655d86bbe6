/**
 * One redaction for every URL that may reach a log line. A URL token is a bearer credential (whoever has
 * it can talk as the endpoint), and the Copilot's `auth=` JWT opens a workspace, so neither may be written
 * where log shippers, dashboards and support tickets can read it. The route shape stays readable:
 * `/endpoints/[redacted]/ws?URLToken=[redacted]&userId=u1`.
 */

export const redactedValue = "[redacted]";

/**
 * First path segments whose next segment is a URL token (`/endpoints/{token}…`, `/inject/{token}`,
 * `/notify/{token}`). Compared decoded and lower-cased: a request for `/%65ndpoints/{token}` or
 * `/Endpoints/{token}` is answered 404, but its URL is logged all the same.
 */
const tokenPathPrefixes = new Set(["endpoints", "inject", "notify"]);

/**
 * Query (and fragment) parameters that carry a credential. Names are compared decoded and lower-cased:
 * `URLToken`, `urltoken` and `URL%54oken` are the same parameter to a reader.
 */
const secretParameters = new Set([
  "urltoken",
  "auth",
  "token",
  "access_token",
  "apikey",
  "api_key",
  "x-api-key",
  "secret",
  "signature",
  "sig",
  "password",
]);

/** `scheme://authority` of an absolute URL; what follows is the path. */
const originPattern = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * Replaces the URL tokens and credentials of a URL (absolute, or a path with query as servers log it)
 * with `[redacted]`, keeping everything else byte for byte. Token positions are known, so a long hex id
 * elsewhere in the path stays visible; a value that is not a string is returned as it is.
 *
 * @example
 * redactUrl("/copilot/ws?userId=u1&URLToken=ab12…&auth=eyJ…") // "/copilot/ws?userId=u1&URLToken=[redacted]&auth=[redacted]"
 */
export function redactUrl(url: string): string {
  const origin = originPattern.exec(url)?.[0] ?? "";
  const rest = url.slice(origin.length);
  const hashAt = rest.indexOf("#");
  const beforeHash = hashAt === -1 ? rest : rest.slice(0, hashAt);
  const fragment = hashAt === -1 ? undefined : rest.slice(hashAt + 1);
  const queryAt = beforeHash.indexOf("?");
  const path = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt === -1 ? undefined : beforeHash.slice(queryAt + 1);
  return (
    origin +
    redactPath(path) +
    (query === undefined ? "" : `?${redactParameters(query)}`) +
    // Fragments never reach a server, but a logged link carries them; `#auth=…` is as secret as `?auth=…`.
    (fragment === undefined ? "" : `#${redactParameters(fragment)}`)
  );
}

function redactPath(path: string): string {
  const segments = path.split("/");
  // Empty segments are skipped so that `//endpoints/{token}` is treated like `/endpoints/{token}`.
  const first = segments.findIndex((segment) => segment !== "");
  if (first === -1) return path;
  const head = normalise(segments[first]!);
  // `/endpoints%2F{token}` is one segment to a router (404) but reads as the token route in a log.
  const slashAt = head.indexOf("/");
  if (slashAt !== -1 && tokenPathPrefixes.has(head.slice(0, slashAt))) {
    segments[first] = `${head.slice(0, slashAt)}%2F${redactedValue}`;
    return segments.join("/");
  }
  if (!tokenPathPrefixes.has(head)) return path;
  const tokenAt = segments.findIndex((segment, index) => index > first && segment !== "");
  if (tokenAt === -1) return path;
  segments[tokenAt] = redactedValue;
  return segments.join("/");
}

function redactParameters(parameters: string): string {
  return parameters
    .split("&")
    .map((pair) => {
      const equalsAt = pair.indexOf("=");
      if (equalsAt === -1) return pair;
      const name = pair.slice(0, equalsAt);
      return secretParameters.has(normalise(name)) ? `${name}=${redactedValue}` : pair;
    })
    .join("&");
}

/** Decodes percent-escapes and `+` (form encoding) for comparison; a broken escape is compared as written. */
function normalise(text: string): string {
  const plain = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(plain).trim().toLowerCase();
  } catch {
    return plain.trim().toLowerCase();
  }
}

/** A path (or absolute URL) inside free text: from a `/` (or `scheme://`) up to whitespace or a quote. */
const urlInTextPattern = /(?:\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#"'<>]*)?\/[^\s"'<>]*/g;

/** `redactUrl` applied to every URL or path in a text, such as a log message. */
export function redactUrlsInText(text: string): string {
  if (!text.includes("/")) return text;
  return text.replace(urlInTextPattern, (match) => {
    // Sentence punctuation after a URL is not part of it ("… failed for /notify/{token}: timeout").
    const url = match.replace(/[.,;:!?)\]]+$/, "");
    return redactUrl(url) + match.slice(url.length);
  });
}
