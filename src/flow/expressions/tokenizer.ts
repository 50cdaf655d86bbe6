import { expressionSyntaxError } from "./syntax-error.ts";

export type Token =
  | { readonly type: "number"; readonly value: number; readonly position: number }
  | { readonly type: "string"; readonly value: string; readonly position: number }
  | { readonly type: "regex"; readonly pattern: string; readonly flags: string; readonly position: number }
  | { readonly type: "identifier"; readonly value: string; readonly position: number }
  | { readonly type: "punctuator"; readonly value: Punctuator; readonly position: number }
  | { readonly type: "end"; readonly position: number };

export type Punctuator =
  "!" | "&&" | "||" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "(" | ")" | "[" | "]" | "." | ",";

/** Longest first, so `<=` is not read as `<` then `=`. */
const punctuators: readonly Punctuator[] = [
  "&&",
  "||",
  "==",
  "!=",
  "<=",
  ">=",
  "!",
  "<",
  ">",
  "+",
  "-",
  "(",
  ")",
  "[",
  "]",
  ".",
  ",",
];

/** Expressions live in YAML values; anything longer is a program, not an expression. */
export const maxExpressionLength = 2_000;
/** Regex literals are written by the flow author; a cap keeps compiled patterns small. */
export const maxPatternLength = 500;
/** `g` and `y` make a RegExp stateful (lastIndex), which a cached, shared pattern must not be. */
const allowedRegexFlags = new Set(["i", "m", "s", "u"]);

const identifierStart = /[A-Za-z_$]/;
const identifierPart = /[A-Za-z0-9_$]/;
const digit = /[0-9]/;

/**
 * Splits an expression into tokens. There is no division operator, so `/` always starts a regex literal
 * (`/^\d+$/i`) and no context is needed to tell the two apart.
 */
export function tokenize(text: string): Token[] {
  if (text.length > maxExpressionLength) {
    throw expressionSyntaxError(
      maxExpressionLength,
      `an expression of at most ${maxExpressionLength} characters`,
      "more",
    );
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (digit.test(c)) {
      const match = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i))!;
      tokens.push({ type: "number", value: Number(match[0]), position: i });
      i += match[0].length;
      if (i < text.length && identifierPart.test(text[i]!)) {
        throw expressionSyntaxError(i, "an operator or the end after a number", `"${text[i]}"`);
      }
      continue;
    }
    if (c === '"' || c === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ type: "string", value, position: i });
      i = end;
      continue;
    }
    if (c === "/") {
      const { pattern, flags, end } = readRegex(text, i);
      tokens.push({ type: "regex", pattern, flags, position: i });
      i = end;
      continue;
    }
    if (identifierStart.test(c)) {
      let end = i + 1;
      while (end < text.length && identifierPart.test(text[end]!)) end++;
      tokens.push({ type: "identifier", value: text.slice(i, end), position: i });
      i = end;
      continue;
    }
    const punctuator = punctuators.find((p) => text.startsWith(p, i));
    if (punctuator === undefined) {
      throw expressionSyntaxError(i, "a value, a path, an operator or a parenthesis", `"${c}"`);
    }
    tokens.push({ type: "punctuator", value: punctuator, position: i });
    i += punctuator.length;
  }
  tokens.push({ type: "end", position: text.length });
  return tokens;
}

const escapes: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === quote) return { value, end: i + 1 };
    if (c === "\\") {
      const next = text[i + 1];
      if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      const replacement = next === undefined ? undefined : escapes[next];
      if (replacement === undefined) {
        throw expressionSyntaxError(
          i,
          "an escape \\n, \\t, \\r, \\\\, \\\", \\' or \\uXXXX",
          "another escape",
        );
      }
      value += replacement;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  throw expressionSyntaxError(text.length, `a closing ${quote}`, "end of expression");
}

function readRegex(text: string, start: number): { pattern: string; flags: string; end: number } {
  let i = start + 1;
  let inClass = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) break;
    i++;
  }
  if (i >= text.length)
    throw expressionSyntaxError(text.length, "a closing / of the regex", "end of expression");
  const pattern = text.slice(start + 1, i);
  let end = i + 1;
  while (end < text.length && /[A-Za-z]/.test(text[end]!)) end++;
  const flags = text.slice(i + 1, end);
  if (pattern.length === 0) throw expressionSyntaxError(start + 1, "a non-empty regex", "//");
  if (pattern.length > maxPatternLength) {
    throw expressionSyntaxError(start, `a regex of at most ${maxPatternLength} characters`, "a longer one");
  }
  checkRegex(pattern, flags, start);
  return { pattern, flags, end };
}

/** Throws a syntax error at `position` unless `pattern` with `flags` compiles and uses only i, m, s, u. */
export function checkRegex(pattern: string, flags: string, position: number): void {
  for (const flag of flags) {
    if (!allowedRegexFlags.has(flag) || flags.indexOf(flag) !== flags.lastIndexOf(flag)) {
      throw expressionSyntaxError(position, "regex flags among i, m, s, u (each once)", `"${flags}"`);
    }
  }
  try {
    new RegExp(pattern, flags);
  } catch {
    throw expressionSyntaxError(position, "a valid regular expression", "one that does not compile");
  }
}
