import { maxEventsPerPage } from "./admin-query.ts";

/**
 * The OpenAPI 3.1 description of the admin API, served at `GET /api/v1/openapi.json`. Written by hand next
 * to the routes (admin.ts) and checked against them by test/e2e/admin-event-log.test.ts.
 */
export function adminOpenApi(serverUrl: string) {
  const nullableString = { type: ["string", "null"] } as const;
  const errorResponse = (description: string) => ({
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  });
  const denied = {
    "401": errorResponse("BATON_ERR_ADMIN_UNAUTHORIZED: no or a wrong `authorization: Bearer <adminKey>`."),
    "403": errorResponse("BATON_ERR_ADMIN_NOT_ENABLED: `server.adminKey` is not set."),
    "429": errorResponse("BATON_ERR_HTTP_RATE_LIMITED: more than `server.limits.tokenRoutesPerMinute`."),
  };
  const idParameter = {
    name: "id",
    in: "path",
    required: true,
    schema: { type: "integer", minimum: 1 },
  };
  const queryParameter = (name: string, description: string, schema: object) => ({
    name,
    in: "query",
    required: false,
    description,
    schema,
  });
  return {
    openapi: "3.1.0",
    info: {
      title: "Baton admin API",
      version: "1",
      description:
        "The operator's view of what came in from the contact center and what went out to it (the event log), and the replay of a stored inbound event. Every route needs `authorization: Bearer <server.adminKey>`.",
    },
    servers: [{ url: serverUrl }],
    security: [{ adminKey: [] }],
    paths: {
      "/api/v1/events": {
        get: {
          operationId: "listEvents",
          summary: "Event-log entries, newest first, one page at a time",
          parameters: [
            queryParameter("direction", "in: webhooks received; out: calls to the provider", {
              type: "string",
              enum: ["in", "out"],
            }),
            queryParameter(
              "type",
              "The webhook eventType (MESSAGE) or the client operation (messages.send)",
              {
                type: "string",
                maxLength: 100,
              },
            ),
            queryParameter("providerId", "A configured provider id", { type: "string", maxLength: 64 }),
            queryParameter("conversationId", "The provider's conversation id", {
              type: "string",
              maxLength: 200,
            }),
            queryParameter("eventId", "The provider's event id (x-8x8-event-id)", {
              type: "string",
              maxLength: 300,
            }),
            queryParameter("status", "An HTTP status (200), a class (4xx), network or timeout", {
              type: "string",
              pattern: "^(\\d{3}|[1-5]xx|network|timeout)$",
            }),
            queryParameter("since", "Entries at or after this time", { type: "string", format: "date-time" }),
            queryParameter("until", "Entries at or before this time", {
              type: "string",
              format: "date-time",
            }),
            queryParameter("limit", "Entries per page", {
              type: "integer",
              minimum: 1,
              maximum: maxEventsPerPage,
              default: 50,
            }),
            queryParameter("cursor", "The nextCursor of the previous page", { type: "string" }),
          ],
          responses: {
            "200": {
              description: "One page; `nextCursor` is null on the last.",
              content: { "application/json": { schema: { $ref: "#/components/schemas/EventsPage" } } },
            },
            "400": errorResponse("BATON_ERR_HTTP_BAD_REQUEST: `field` names the bad parameter."),
            ...denied,
          },
        },
      },
      "/api/v1/events/{id}": {
        get: {
          operationId: "getEvent",
          summary: "One entry, with the stored body of an inbound event",
          parameters: [idParameter],
          responses: {
            "200": {
              description: "The entry.",
              content: { "application/json": { schema: { $ref: "#/components/schemas/EventDetail" } } },
            },
            "400": errorResponse("BATON_ERR_HTTP_BAD_REQUEST: the id is not a positive integer."),
            "404": errorResponse("BATON_ERR_EVENT_NOT_FOUND: no such entry (or pruned)."),
            ...denied,
          },
        },
      },
      "/api/v1/events/{id}/replay": {
        post: {
          operationId: "replayEvent",
          summary: "Feed a stored inbound event through the receiver again",
          description:
            "The stored, once-verified body is processed as a new delivery without the signature and transmission-time checks. An event that was stored before answers `duplicate` and is not handed on, unless `force` is true: then it is stored under a new event id and handed on again.",
          parameters: [idParameter],
          requestBody: {
            required: false,
            content: { "application/json": { schema: { $ref: "#/components/schemas/ReplayRequest" } } },
          },
          responses: {
            "200": {
              description: "What the receiver did with it.",
              content: { "application/json": { schema: { $ref: "#/components/schemas/ReplayResult" } } },
            },
            "400": errorResponse("BATON_ERR_HTTP_BAD_REQUEST: a bad id or body."),
            "404": errorResponse("BATON_ERR_EVENT_NOT_FOUND: no such entry (or pruned)."),
            "409": errorResponse("BATON_ERR_EVENT_NOT_REPLAYABLE: `reason` says why."),
            ...denied,
          },
        },
      },
      "/api/v1/openapi.json": {
        get: {
          operationId: "getOpenApi",
          summary: "This description",
          responses: { "200": { description: "OpenAPI 3.1" }, ...denied },
        },
      },
    },
    components: {
      securitySchemes: { adminKey: { type: "http", scheme: "bearer", description: "server.adminKey" } },
      schemas: {
        Event: {
          type: "object",
          required: [
            "id",
            "at",
            "direction",
            "type",
            "providerId",
            "status",
            "outcome",
            "durationMs",
            "attempt",
          ],
          properties: {
            id: { type: "integer" },
            at: { type: "string", format: "date-time" },
            direction: { type: "string", enum: ["in", "out"] },
            type: { type: "string", description: "The webhook eventType, or the client operation" },
            providerId: { type: "string" },
            conversationId: nullableString,
            handoverId: { ...nullableString, description: "Baton's handover of the conversation, if any" },
            sessionId: { ...nullableString, description: "Baton's session of that handover" },
            eventId: { ...nullableString, description: "The provider's event id (inbound)" },
            status: { type: "string", description: "HTTP status, or network / timeout" },
            outcome: {
              type: "string",
              description:
                "in: accepted, duplicate, ignored, verify, rejected_signature, rejected_stale, rejected_body, key_unavailable, store_unavailable, rejected_shutdown, error; out: ok, rejected, unavailable, timeout",
            },
            durationMs: { type: "integer" },
            attempt: { type: "integer", description: "1 for the first try" },
            errorCode: { ...nullableString, description: "The catalog code of a failure" },
            method: { ...nullableString, description: "Outbound: the HTTP method" },
            path: { ...nullableString, description: "Outbound: the path, never the query" },
            bodyBytes: { type: ["integer", "null"], description: "Inbound: the body's full size" },
            bodyTruncated: {
              type: "boolean",
              description: "The stored body was cut at eventLog.maxBodyBytes",
            },
            hasBody: { type: "boolean" },
            replayOf: { type: ["integer", "null"], description: "The entry this delivery replayed" },
            replayable: { type: "boolean" },
          },
        },
        EventDetail: {
          allOf: [
            { $ref: "#/components/schemas/Event" },
            {
              type: "object",
              properties: { body: { ...nullableString, description: "Inbound: the verified raw body" } },
            },
          ],
        },
        EventsPage: {
          type: "object",
          required: ["events", "nextCursor"],
          properties: {
            events: { type: "array", items: { $ref: "#/components/schemas/Event" } },
            nextCursor: nullableString,
          },
        },
        ReplayRequest: {
          type: "object",
          additionalProperties: false,
          properties: { force: { type: "boolean", default: false } },
        },
        ReplayResult: {
          type: "object",
          required: ["outcome", "eventType", "eventId", "replayOf", "force"],
          properties: {
            outcome: {
              type: "string",
              enum: ["accepted", "duplicate", "ignored"],
              description:
                "accepted: handed on; duplicate: stored before, nothing handed on; ignored: stored, nothing for Baton",
            },
            eventType: { type: "string" },
            eventId: { type: "string", description: "The id it was processed under (new with force)" },
            replayOf: { type: "integer" },
            force: { type: "boolean" },
          },
        },
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                field: { type: "string" },
                expected: { type: "string" },
              },
            },
          },
        },
      },
    },
  };
}
