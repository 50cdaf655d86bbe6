import { describe, expect, it } from "vitest";
import { BatonError } from "../../../src/errors/index.ts";
import {
  encodeCursor,
  parseEventId,
  parseEventsQuery,
  parseReplayBody,
} from "../../../src/server/routes/admin-query.ts";

function refusal(fn: () => unknown): { code: string; field: unknown; expected: unknown } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BatonError);
    const e = error as BatonError;
    return { code: e.code, field: e.details.field, expected: e.details.expected };
  }
  throw new Error("expected a refusal");
}

describe("admin API: the events query", () => {
  it("turns a full query into the store's query, asking for one entry more than a page", () => {
    const cursor = encodeCursor({ at: new Date("2026-03-01T10:00:00.123Z"), id: 42 });
    expect(
      parseEventsQuery({
        direction: "in",
        type: "MESSAGE",
        providerId: "eight",
        conversationId: "cv_1",
        eventId: "evt-1",
        status: "4xx",
        since: "2026-03-01T00:00:00Z",
        until: "2026-03-02T00:00:00+01:00",
        limit: "20",
        cursor,
      }),
    ).toEqual({
      pageSize: 20,
      query: {
        direction: "in",
        type: "MESSAGE",
        providerId: "eight",
        conversationId: "cv_1",
        eventId: "evt-1",
        status: "4xx",
        since: new Date("2026-03-01T00:00:00Z"),
        until: new Date("2026-03-01T23:00:00Z"),
        before: { at: new Date("2026-03-01T10:00:00.123Z"), id: 42 },
        limit: 21,
      },
    });
  });

  it("defaults to a page of 50 with no filter", () => {
    expect(parseEventsQuery({})).toEqual({ pageSize: 50, query: { limit: 51 } });
    expect(parseEventsQuery(undefined)).toEqual({ pageSize: 50, query: { limit: 51 } });
  });

  it.each([
    [{ direction: "sideways" }, "direction", "in or out"],
    [{ status: "ok" }, "status", "an HTTP status (200), a class (4xx), network or timeout"],
    [{ status: "6xx" }, "status", "an HTTP status (200), a class (4xx), network or timeout"],
    [{ limit: "0" }, "limit", "an integer from 1 to 200"],
    [{ limit: "201" }, "limit", "an integer from 1 to 200"],
    [{ limit: "ten" }, "limit", "an integer from 1 to 200"],
    [{ since: "yesterday" }, "since", "an ISO 8601 date-time with a zone, e.g. 2026-03-01T10:00:00Z"],
    [
      { until: "2026-03-01T10:00:00" },
      "until",
      "an ISO 8601 date-time with a zone, e.g. 2026-03-01T10:00:00Z",
    ],
    [{ type: "" }, "type", "1 to 100 printable ASCII characters without spaces"],
    [{ conversationId: "a b" }, "conversationId", "1 to 200 printable ASCII characters without spaces"],
    [
      { conversationId: "x".repeat(201) },
      "conversationId",
      "1 to 200 printable ASCII characters without spaces",
    ],
    [{ type: ["MESSAGE", "QUEUED"] }, "type", "a single value"],
    [{ cursor: "not a cursor" }, "cursor", "the nextCursor of a previous page"],
    [{ cursor: Buffer.from("12.x").toString("base64url") }, "cursor", "the nextCursor of a previous page"],
  ])("refuses %j with a 400 naming the field and what it expects", (query, field, expected) => {
    expect(refusal(() => parseEventsQuery(query))).toEqual({
      code: "BATON_ERR_HTTP_BAD_REQUEST",
      field,
      expected,
    });
  });

  it("refuses an unknown parameter, naming it and the known ones", () => {
    expect(refusal(() => parseEventsQuery({ conversation: "cv_1" }))).toEqual({
      code: "BATON_ERR_HTTP_BAD_REQUEST",
      field: "conversation",
      expected:
        "one of direction, type, providerId, conversationId, eventId, status, since, until, limit, cursor",
    });
  });

  it("refuses a time window that ends before it starts", () => {
    expect(
      refusal(() => parseEventsQuery({ since: "2026-03-02T00:00:00Z", until: "2026-03-01T00:00:00Z" })),
    ).toEqual({ code: "BATON_ERR_HTTP_BAD_REQUEST", field: "until", expected: "a time not before since" });
  });

  it("reads back every cursor it writes", () => {
    const position = { at: new Date("2026-03-01T10:00:00.999Z"), id: 9_007_199_254_740 };
    expect(parseEventsQuery({ cursor: encodeCursor(position) }).query.before).toEqual(position);
  });
});

describe("admin API: ids and replay bodies", () => {
  it("takes positive integer ids only", () => {
    expect(parseEventId("17")).toBe(17);
    for (const bad of ["0", "-1", "1.5", "abc", "01", "1e3", "99999999999999999"]) {
      expect(refusal(() => parseEventId(bad))).toEqual({
        code: "BATON_ERR_HTTP_BAD_REQUEST",
        field: "id",
        expected: "an event id (a positive integer)",
      });
    }
  });

  it("takes no body, {} or {force}", () => {
    expect(parseReplayBody(undefined)).toEqual({ force: false });
    expect(parseReplayBody({})).toEqual({ force: false });
    expect(parseReplayBody({ force: true })).toEqual({ force: true });
    expect(refusal(() => parseReplayBody({ force: "yes" }))).toEqual({
      code: "BATON_ERR_HTTP_BAD_REQUEST",
      field: "force",
      expected: "true or false",
    });
    expect(refusal(() => parseReplayBody({ force: true, all: true }))).toMatchObject({ field: "all" });
  });
});
