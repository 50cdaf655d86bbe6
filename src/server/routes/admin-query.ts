import { z } from "zod";
import { BatonError } from "../../errors/index.ts";
import type { EventLogPosition, EventLogQuery } from "../../store/types.ts";

/** Most entries one page may hold; the default is 50. */
export const maxEventsPerPage = 200;
const defaultEventsPerPage = 50;

/** Printable ASCII without spaces: ids and types never need more, and nothing odd reaches a query. */
const printable = (max: number) =>
  z.string().regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`), {
    error: `1 to ${max} printable ASCII characters without spaces`,
  });

const timestamp = z.iso.datetime({
  offset: true,
  error: "an ISO 8601 date-time with a zone, e.g. 2026-03-01T10:00:00Z",
});

/** The query of `GET /api/v1/events`; every value is one string (a repeated parameter is refused). */
const eventsQuerySchema = z.strictObject({
  direction: z.enum(["in", "out"], { error: "in or out" }).optional(),
  type: printable(100).optional(),
  providerId: printable(64).optional(),
  conversationId: printable(200).optional(),
  eventId: printable(300).optional(),
  status: z
    .string()
    .regex(/^(\d{3}|[1-5]xx|network|timeout)$/, {
      error: "an HTTP status (200), a class (4xx), network or timeout",
    })
    .optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: `an integer from 1 to ${maxEventsPerPage}` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= maxEventsPerPage, {
      error: `an integer from 1 to ${maxEventsPerPage}`,
    })
    .optional(),
  cursor: z.string().max(100, { error: "the nextCursor of a previous page" }).optional(),
});

const queryFields = Object.keys(eventsQuerySchema.shape).join(", ");

/** What a validated events query asks for: the store query (one entry more than a page, to see if more follow). */
export interface EventsRequest {
  readonly query: EventLogQuery & { readonly limit: number };
  readonly pageSize: number;
}

/**
 * Validates the query string of `GET /api/v1/events`. Throws BATON_ERR_HTTP_BAD_REQUEST naming the first bad
 * `field` and what was `expected`; nothing is read then.
 *
 * @example
 * parseEventsQuery({ direction: "in", status: "4xx", limit: "20" })
 * // { pageSize: 20, query: { direction: "in", status: "4xx", limit: 21 } }
 */
export function parseEventsQuery(raw: unknown): EventsRequest {
  const parsed = eventsQuerySchema.safeParse(raw ?? {});
  if (!parsed.success) throw badQuery(parsed.error, raw);
  const { since, until, limit, cursor, ...filters } = parsed.data;
  const sinceDate = since === undefined ? undefined : new Date(since);
  const untilDate = until === undefined ? undefined : new Date(until);
  if (sinceDate !== undefined && untilDate !== undefined && sinceDate > untilDate) {
    throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", {
      field: "until",
      expected: "a time not before since",
    });
  }
  const pageSize = limit ?? defaultEventsPerPage;
  const before = cursor === undefined ? undefined : decodeCursor(cursor);
  return {
    pageSize,
    query: {
      ...withoutUndefined(filters),
      ...(sinceDate !== undefined ? { since: sinceDate } : {}),
      ...(untilDate !== undefined ? { until: untilDate } : {}),
      ...(before !== undefined ? { before } : {}),
      limit: pageSize + 1,
    },
  };
}

/** An entry id in a path: a positive integer. */
export function parseEventId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", {
      field: "id",
      expected: "an event id (a positive integer)",
    });
  }
  return Number(raw);
}

const replayBodySchema = z.strictObject({
  force: z.boolean({ error: "true or false" }).optional(),
});

/** The body of a replay: nothing, `{}`, or `{"force": true}`. */
export function parseReplayBody(raw: unknown): { force: boolean } {
  const parsed = replayBodySchema.safeParse(raw ?? {});
  if (!parsed.success) throw badQuery(parsed.error, raw, "(body)");
  return { force: parsed.data.force ?? false };
}

/** The opaque position after a page's last entry: base64url of "<epoch ms>.<id>". */
export function encodeCursor(position: EventLogPosition): string {
  return Buffer.from(`${position.at.getTime()}.${position.id}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): EventLogPosition {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const match = /^(\d{1,15})\.(\d{1,16})$/.exec(text);
  if (match === null) {
    throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", {
      field: "cursor",
      expected: "the nextCursor of a previous page",
    });
  }
  return { at: new Date(Number(match[1])), id: Number(match[2]) };
}

function badQuery(error: z.ZodError, raw: unknown, fallbackField = "(query)"): BatonError {
  const issue = error.issues[0];
  if (issue?.code === "unrecognized_keys") {
    return new BatonError("BATON_ERR_HTTP_BAD_REQUEST", {
      field: String(issue.keys[0]),
      expected: fallbackField === "(query)" ? `one of ${queryFields}` : "only force",
    });
  }
  const field = issue?.path.map(String).join(".") || fallbackField;
  // A parameter given twice arrives as an array.
  const given: unknown =
    typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[field] : raw;
  const expected = Array.isArray(given) ? "a single value" : (issue?.message ?? "a valid value");
  return new BatonError("BATON_ERR_HTTP_BAD_REQUEST", { field, expected });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
