/**
 * Value semantics of the expression language, written down once so there are no coercion surprises:
 * - Values are JSON values: string, number, boolean, null, arrays and plain objects. Anything else read
 *   from the scope (undefined, functions) is null.
 * - Truthiness: null, false, 0 and "" are false; everything else (including [] and {}) is true.
 * - `==` / `!=` never convert: 1 == "1" is false; arrays and objects compare by content.
 * - `<` `<=` `>` `>=` compare two numbers or two strings; any other pair is false.
 * - `+` adds two numbers; if either side is a string it concatenates `string(left) + string(right)`;
 *   anything else (null + 1, true + 1) is null.
 */

export type Value = string | number | boolean | null | readonly Value[] | { readonly [key: string]: Value };

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Array.isArray narrows a readonly array type to any[]; this keeps the item type. */
export function isList(value: Value): value is readonly Value[] {
  return Array.isArray(value);
}

/** Anything that is not a JSON value reads as null. */
export function normalize(value: unknown): Value {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return null;
  if (typeof value === "bigint") return null;
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return value as Value;
}

export function isTruthy(value: Value): boolean {
  return !(value === null || value === false || value === 0 || value === "");
}

export function isEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (isList(a) && isList(b)) {
    return a.length === b.length && a.every((item, i) => isEqual(item, normalize(b[i])));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && isEqual(normalize(a[key]), normalize(b[key])))
    );
  }
  return false;
}

export function compare(operator: "<" | "<=" | ">" | ">=", a: Value, b: Value): boolean {
  const comparable =
    (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string");
  if (!comparable) return false;
  switch (operator) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

export function add(a: Value, b: Value): Value {
  if (typeof a === "number" && typeof b === "number") return normalize(a + b);
  if (typeof a === "string" || typeof b === "string") return toText(a) + toText(b);
  return null;
}

/** `string(x)`: null is "", numbers and booleans as JavaScript writes them, arrays and objects as JSON. */
export function toText(value: Value): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** `number(x)`: numbers as they are; a string that is entirely a finite number; true 1, false 0; else null. */
export function toNumber(value: Value): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value.trim());
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

/** `len(x)`: characters of a string, items of an array, keys of an object; 0 for anything else. */
export function lengthOf(value: Value): number {
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  if (isRecord(value)) return Object.keys(value).length;
  return 0;
}
