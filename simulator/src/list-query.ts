import { badRequest } from "./errors.ts";

/**
 * Paging, sorting and FIQL filtering of list endpoints (8x8's `page`, `size`, `sort` and `filter`), and the
 * HAL list envelope. 8x8 pages are 0-based; the maximum page size is unconfirmed, the simulator caps it at
 * 1000.
 */
export type ListQuery = {
  page: number;
  size: number;
  sort: { field: string; direction: "asc" | "desc" };
  filter?: string;
};

export type ListOptions = {
  defaultSort: string;
  /** Fields a client may sort on; messages and cards allow only `createdAt`. */
  sortable: readonly string[];
  /** Whether `filter` is a declared parameter of the endpoint. */
  filterable: boolean;
};

const MAX_PAGE_SIZE = 1_000;

export function parseListQuery(params: URLSearchParams, options: ListOptions): ListQuery {
  const page = parseIntParam(params, "page", 0, 0, Number.MAX_SAFE_INTEGER);
  const size = parseIntParam(params, "size", 20, 1, MAX_PAGE_SIZE);
  const sortText = params.get("sort") ?? options.defaultSort;
  const match = /^([A-Za-z][\w.]*)(?::(asc|desc))?$/i.exec(sortText);
  const field = match?.[1];
  if (field === undefined || !options.sortable.includes(field)) {
    throw badRequest(
      "invalid_parameter",
      `sort must be <field>:<asc|desc> with field one of ${options.sortable.join(", ")}`,
    );
  }
  const direction = (match?.[2] ?? "asc").toLowerCase() === "desc" ? "desc" : "asc";
  const filter = options.filterable ? (params.get("filter") ?? undefined) : undefined;
  return { page, size, sort: { field, direction }, ...(filter ? { filter } : {}) };
}

function parseIntParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = params.get(name);
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badRequest("invalid_parameter", `${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

/**
 * A small FIQL subset: `field==value` and `field!=value` (a `*` in the value is a wildcard), joined by
 * `;` (AND) and `,` (OR, lower precedence). Parentheses are ignored, which is exact for flat expressions
 * such as the spec's `name==Cosmin,(routingOption.id==11)`.
 */
export function matchesFilter(item: object, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  const flat = filter.replace(/[()]/g, "");
  return flat
    .split(",")
    .some((conjunction) => conjunction.split(";").every((term) => matchesTerm(item, term)));
}

function matchesTerm(item: object, term: string): boolean {
  const match = /^\s*([\w.]+)\s*(==|!=)\s*(.*?)\s*$/.exec(term);
  if (match === null)
    throw badRequest("invalid_parameter", `filter term "${term}" is not field==value or field!=value`);
  const [, path = "", operator, expected = ""] = match;
  const actual = readPath(item, path);
  const pattern = new RegExp(`^${expected.split("*").map(escapeRegExp).join(".*")}$`);
  const equal =
    (typeof actual === "string" || typeof actual === "number" || typeof actual === "boolean") &&
    pattern.test(String(actual));
  return operator === "==" ? equal : !equal;
}

function readPath(item: object, path: string): unknown {
  let current: unknown = item;
  for (const key of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Sorts a copy of `items`; ties keep their input order (Array.prototype.sort is stable). */
export function sortItems<T extends object>(items: readonly T[], sort: ListQuery["sort"]): T[] {
  const sign = sort.direction === "asc" ? 1 : -1;
  return [...items].sort((a, b) => sign * compareValues(readPath(a, sort.field), readPath(b, sort.field)));
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const left = sortKey(a);
  const right = sortKey(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function sortKey(value: unknown): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : "";
}

/**
 * The HAL list body. On an empty page `_embedded` is left out, as Spring HAL does; clients must guard
 * for it (8x8 does not say it is always present). The messages list schema has no `_links`, so it is optional.
 */
export function halPage<T>(
  collection: string,
  items: readonly T[],
  query: ListQuery,
  selfHref: string | undefined,
): Record<string, unknown> {
  const start = query.page * query.size;
  const pageItems = items.slice(start, start + query.size);
  return {
    ...(pageItems.length > 0 ? { _embedded: { [collection]: pageItems } } : {}),
    ...(selfHref === undefined ? {} : { _links: { self: { href: selfHref } } }),
    page: {
      size: query.size,
      number: query.page,
      totalElements: items.length,
      totalPages: Math.ceil(items.length / query.size),
    },
  };
}
