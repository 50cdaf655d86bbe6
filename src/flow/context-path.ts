import { forbiddenKeys } from "./expressions/index.ts";

/** A writable place in the session context: the keys below `context`, e.g. ["order", "id"]. */
export type ContextPath = readonly string[];

const segmentPattern = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const maxDepth = 10;

/** What a context path looks like, for load issues. */
export const contextPathExpectation =
  'a context path such as "context.answer" (names of letters, digits, _, $ and -, at most 10 deep, not __proto__, constructor or prototype)';

/** `"context.order.id"` → `["order", "id"]`; undefined when it is not a writable context path. */
export function parseContextPath(text: string): ContextPath | undefined {
  const [root, ...segments] = text.split(".");
  if (root !== "context" || segments.length === 0 || segments.length > maxDepth) return undefined;
  const valid = segments.every((s) => segmentPattern.test(s) && !forbiddenKeys.has(s));
  return valid ? segments : undefined;
}

/**
 * Writes `value` (copied, as JSON) at `path` in a context object the engine owns, creating or replacing
 * intermediate objects. Copying means no two places in the context share an object, so a later write
 * to one never changes the other.
 */
export function writeContext(context: Record<string, unknown>, path: ContextPath, value: unknown): void {
  let target = context;
  for (const key of path.slice(0, -1)) {
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (typeof existing === "object" && existing !== null && !Array.isArray(existing)) {
      target = existing as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      target[key] = created;
      target = created;
    }
  }
  target[path[path.length - 1]!] = copyJson(value);
}

/** A deep copy through JSON: what the store will persist anyway (undefined → null). */
export function copyJson<T>(value: T): T {
  return value === undefined ? (null as T) : (JSON.parse(JSON.stringify(value)) as T);
}
