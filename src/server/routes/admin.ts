import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BatonError } from "../../errors/index.ts";
import type { HandoverProvider, ProviderWebhook } from "../../providers/port.ts";
import type { EventLogRepository, StoredEventLogEntry, WebhookEventRepository } from "../../store/types.ts";
import { bearerToken, matchesSecret } from "../../utils/bearer.ts";
import { adminOpenApi } from "./admin-openapi.ts";
import { encodeCursor, parseEventId, parseEventsQuery, parseReplayBody } from "./admin-query.ts";

export interface AdminApiDeps {
  /** `server.adminKey`; without it every admin route answers 403 BATON_ERR_ADMIN_NOT_ENABLED. */
  readonly adminKey: string | undefined;
  readonly eventLog: EventLogRepository;
  /** Where the full body of an event whose log entry was cut is kept. */
  readonly webhookEvents: Pick<WebhookEventRepository, "find">;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  /** The server's public URL, for the OpenAPI document's `servers`. */
  readonly publicUrl: () => string;
  /**
   * More routes under `/api/v1` behind the same key and limit (say, catching one handover up on demand).
   * Each gets the scope and the route options that mark a route as limited.
   */
  readonly routes?: readonly AdminRoutes[];
}

/** Registers further admin routes on the `/api/v1` scope; pass `limited` as each route's options. */
export type AdminRoutes = (
  scope: FastifyInstance,
  limited: { readonly config: { readonly tokenRoute: true } },
) => void;

type IdParams = { Params: { id: string } };

/**
 * The admin API under `/api/v1`: the event log and the replay of a stored inbound event. Every route needs
 * `authorization: Bearer <server.adminKey>` and is limited per address like the other token routes. The key
 * is checked before a body is read (preParsing, after the rate limit's onRequest), so a refused request
 * costs nothing and changes nothing.
 */
export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  await app.register(
    (scope, _options, done) => {
      scope.addHook("preParsing", async (request, reply, payload) => {
        requireAdminKey(deps.adminKey, request, reply);
        return payload;
      });
      // Entries carry conversation ids and message bodies: nothing here is to be cached on the way.
      scope.addHook("onSend", async (_request, reply, payload) => {
        reply.header("cache-control", "no-store");
        return payload;
      });
      const limited = { config: { tokenRoute: true } } as const;

      scope.get("/events", limited, async (request) => {
        const { query, pageSize } = parseEventsQuery(request.query);
        const found = await deps.eventLog.list(query);
        const page = found.slice(0, pageSize);
        const last = page.at(-1);
        return {
          events: page.map(toWire),
          nextCursor:
            found.length > pageSize && last !== undefined ? encodeCursor({ at: last.at, id: last.id }) : null,
        };
      });

      scope.get<IdParams>("/events/:id", limited, async (request) => {
        const entry = await findEntry(deps.eventLog, request.params.id);
        return { ...toWire(entry), body: entry.body ?? null };
      });

      scope.post<IdParams>("/events/:id/replay", limited, async (request) => {
        const { force } = parseReplayBody(request.body);
        const entry = await findEntry(deps.eventLog, request.params.id);
        const target = replayTarget(entry, deps.providers);
        const rawBody = await storedBody(entry, deps.webhookEvents);
        const result = await target.webhook.replay({
          rawBody,
          eventId: target.eventId,
          force,
          replayOf: entry.id,
        });
        request.log.info(
          { entry: entry.id, eventId: result.eventId, outcome: result.outcome, force },
          "event replayed from the admin API",
        );
        return { ...result, replayOf: entry.id, force };
      });

      scope.get("/openapi.json", limited, (_request, reply) => reply.send(adminOpenApi(deps.publicUrl())));
      for (const routes of deps.routes ?? []) routes(scope, limited);
      done();
    },
    { prefix: "/api/v1" },
  );
}

function requireAdminKey(adminKey: string | undefined, request: FastifyRequest, reply: FastifyReply): void {
  if (adminKey === undefined) {
    throw new BatonError("BATON_ERR_ADMIN_NOT_ENABLED", {
      field: "server.adminKey",
      expected: "a key of at least 32 characters in the config (write it as ${VAR})",
    });
  }
  if (!matchesSecret(bearerToken(request.headers.authorization), [adminKey])) {
    reply.header("www-authenticate", "Bearer");
    throw new BatonError("BATON_ERR_ADMIN_UNAUTHORIZED", {
      field: "authorization",
      expected: "Bearer <server.adminKey>",
    });
  }
}

async function findEntry(eventLog: EventLogRepository, rawId: string): Promise<StoredEventLogEntry> {
  const id = parseEventId(rawId);
  const entry = await eventLog.get(id);
  if (entry === undefined) throw new BatonError("BATON_ERR_EVENT_NOT_FOUND", { field: "id", id });
  return entry;
}

type ReplayingWebhook = ProviderWebhook & { replay: NonNullable<ProviderWebhook["replay"]> };

function canReplay(webhook: ProviderWebhook | undefined): webhook is ReplayingWebhook {
  return webhook?.replay !== undefined;
}

/** The provider's replay for an entry that can be replayed; a 409 naming the reason otherwise. */
function replayTarget(
  entry: StoredEventLogEntry,
  providers: ReadonlyMap<string, HandoverProvider>,
): { webhook: ReplayingWebhook; eventId: string } {
  const refuse = (reason: string) =>
    new BatonError("BATON_ERR_EVENT_NOT_REPLAYABLE", { field: "id", id: entry.id, reason });
  if (entry.direction !== "in") throw refuse("an outbound call: only webhooks that came in are replayed");
  if (!entry.hasBody || entry.eventId === null)
    throw refuse("no verified body was stored (the request was refused, or it was a WEB_HOOK_VERIFY)");
  const webhook = providers.get(entry.providerId)?.webhook;
  if (!canReplay(webhook)) throw refuse(`provider ${entry.providerId} is not configured or does not replay`);
  return { webhook, eventId: entry.eventId };
}

/** The body to replay: the entry's own, or, where it was cut, the full copy the webhook store keeps. */
async function storedBody(
  entry: StoredEventLogEntry,
  webhookEvents: Pick<WebhookEventRepository, "find">,
): Promise<Buffer> {
  if (!entry.bodyTruncated && typeof entry.body === "string") return Buffer.from(entry.body, "utf8");
  const stored =
    entry.eventId === null ? undefined : await webhookEvents.find(entry.providerId, entry.eventId);
  if (stored === undefined) {
    throw new BatonError("BATON_ERR_EVENT_NOT_REPLAYABLE", {
      field: "id",
      id: entry.id,
      reason: "the stored body was cut at eventLog.maxBodyBytes and the full copy is gone",
    });
  }
  return Buffer.from(stored.body, "utf8");
}

/** An entry as the API shows it (the body only in the detail). */
function toWire(entry: StoredEventLogEntry) {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    direction: entry.direction,
    type: entry.type,
    providerId: entry.providerId,
    conversationId: entry.conversationId,
    handoverId: entry.handoverId,
    sessionId: entry.sessionId,
    eventId: entry.eventId,
    status: entry.status,
    outcome: entry.outcome,
    durationMs: entry.durationMs,
    attempt: entry.attempt,
    errorCode: entry.errorCode,
    method: entry.method,
    path: entry.path,
    bodyBytes: entry.bodyBytes,
    bodyTruncated: entry.bodyTruncated,
    hasBody: entry.hasBody,
    replayOf: entry.replayOf,
    replayable: entry.direction === "in" && entry.hasBody && entry.eventId !== null,
  };
}
