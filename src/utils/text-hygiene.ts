import { BatonError } from "../errors/index.ts";

/**
 * Input hygiene: the one rule for text and JSON that reaches Baton from outside (docs/security.md, "Input
 * hygiene").
 *
 * - Text: NUL (U+0000) and lone UTF-16 surrogates are replaced by U+FFFD in every string, object keys
 *   included, recursively. PostgreSQL (and PGlite) refuse both in `text` and `jsonb`, so an unreplaced one
 *   would fail the write: a 500 for a user, a message silently lost for an agent. Replacing rather than
 *   rejecting keeps the message (an agent cannot fix a webhook body) and keeps every length limit as it was,
 *   since one code unit becomes one code unit.
 * - JSON: at most `maxJsonDepth` levels of arrays and objects. Deeper input is refused before JSON.parse (the
 *   scan below does not recurse), because the store's serialiser and every recursive walk after the parse
 *   would overflow the stack on it.
 */

/** How deeply arrays and objects may nest in any JSON input; cards and bot data need far less. */
export const maxJsonDepth = 64;

// NUL is exactly what these look for.
// eslint-disable-next-line no-control-regex
const suspect = /[\u0000\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const unfit = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with NUL and lone surrogates replaced by U+FFFD (well-formed surrogate pairs are kept). */
export function cleanText(text: string): string {
  return suspect.test(text) ? text.replace(unfit, "\uFFFD") : text;
}

/**
 * A copy of parsed JSON (or any plain value) with every string cleaned by cleanText, keys included.
 * Recursion is bounded: input deeper than `maxJsonDepth` throws BATON_ERR_INPUT_TOO_DEEP (the entry points
 * check the depth before parsing; this guards callers that did not).
 */
export function cleanJson(value: unknown, field = "(body)"): unknown {
  return clean(value, 0, field);
}

function clean(value: unknown, depth: number, field: string): unknown {
  if (typeof value === "string") return cleanText(value);
  if (typeof value !== "object" || value === null) return value;
  if (depth >= maxJsonDepth) throw tooDeep(field);
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1, field));
  // Only plain objects (what JSON.parse makes) are rebuilt; anything else is not JSON and left to the schema.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) copy[cleanText(key)] = clean(member, depth + 1, field);
  return copy;
}

/**
 * Whether JSON text nests arrays/objects deeper than `max`. One pass over the characters, brackets inside
 * strings ignored, no recursion: safe on any input, whether it is valid JSON or not (JSON.parse decides that).
 */
export function exceedsJsonDepth(json: string, max = maxJsonDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const char = json.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index++; // backslash: the next character is escaped
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > max) return true;
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses JSON from outside: the depth is checked first, then JSON.parse, then the text rule is applied.
 * @throws BatonError BATON_ERR_INPUT_TOO_DEEP; SyntaxError from JSON.parse for text that is not JSON.
 */
export function parseUntrustedJson(json: string, field = "(body)"): unknown {
  if (exceedsJsonDepth(json)) throw tooDeep(field);
  return cleanJson(JSON.parse(json) as unknown, field);
}

/** The refusal of too deep JSON, for every entry point alike. */
export function tooDeep(field: string): BatonError {
  return new BatonError("BATON_ERR_INPUT_TOO_DEEP", {
    field,
    expected: `JSON with arrays and objects nested at most ${maxJsonDepth} levels deep`,
  });
}
