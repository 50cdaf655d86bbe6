import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { EndpointConfig } from "../../config/schema.ts";
import { findEndpointByToken } from "../../conversation/endpoint-directory.ts";
import type { ConversationService } from "../../conversation/service.ts";
import type { EndpointRuntime } from "../../conversation/types.ts";
import { BatonError } from "../../errors/index.ts";
import { describeIssue, notifyBody, userInputBody } from "../input-schemas.ts";
import type { SessionAdmission } from "../rate-limit.ts";
import { bearerToken, matchesSecret } from "../../utils/bearer.ts";

export interface RestDeps {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly conversations: ConversationService;
  /** Per endpoint id, the secrets that open inject/notify (sessionApiSecrets); an endpoint absent has none. */
  readonly apiSecrets: ReadonlyMap<string, readonly string[]>;
  /** Counts the sessions a turn creates per client address (server.limits.sessionsPerMinute). */
  readonly sessions?: SessionAdmission;
}

/** Limited per client address (server/app.ts, server.limits.tokenRoutesPerMinute). */
const tokenRoute = { config: { tokenRoute: true } };

type TokenParams = { Params: { urlToken: string } };

/**
 * The secrets that open an endpoint's inject/notify: its `apiSecret`, and on a webhook endpoint also its
 * `callbackSecret` — the external bot answering through `/notify` already holds that one for the bot API, and
 * it is as secret (server-side only, never in a page). An endpoint with neither is left out.
 */
export function sessionApiSecrets(
  endpoints: Readonly<Record<string, EndpointConfig>>,
): ReadonlyMap<string, readonly string[]> {
  const secrets = new Map<string, readonly string[]>();
  for (const [id, endpoint] of Object.entries(endpoints)) {
    const own = [
      endpoint.apiSecret,
      endpoint.channel === "webhook" ? endpoint.callbackSecret : undefined,
    ].filter((secret): secret is string => secret !== undefined);
    if (own.length > 0) secrets.set(id, own);
  }
  return secrets;
}

/**
 * The REST channel and the session APIs:
 * - `POST /endpoints/{urlToken}` `{userId, sessionId, text?, data?}` → `{sessionKey, outputs}` — one turn, as
 *   the end user (the URL token is public: every web chat page carries it);
 * - `POST /inject/{urlToken}` — runs the flow with the input without showing it as a user message;
 * - `POST /notify/{urlToken}` — shows a bot message to the user directly.
 *
 * Inject and notify act as the bot, so besides the URL token they need `authorization: Bearer <apiSecret>`
 * (or a webhook endpoint's callbackSecret), checked before the body is read: a refused call changes nothing.
 */
export function registerRestChannel(app: FastifyInstance, deps: RestDeps): void {
  app.post<TokenParams>("/endpoints/:urlToken", tokenRoute, async (request) => {
    const endpoint = endpointFor(deps, request.params.urlToken);
    const body = parse(userInputBody, request.body);
    await deps.sessions?.admit(request.ip, {
      endpointId: endpoint.id,
      userId: body.userId,
      sessionId: body.sessionId,
    });
    const result = await deps.conversations.userInput({ endpointId: endpoint.id, ...body });
    return { sessionKey: result.sessionKey, outputs: result.outputs };
  });

  app.post<TokenParams>("/inject/:urlToken", tokenRoute, async (request, reply) => {
    const endpoint = authorizeSessionApi(deps, request, reply);
    const body = parse(userInputBody, request.body);
    return { outputs: await deps.conversations.inject({ endpointId: endpoint.id, ...body }) };
  });

  app.post<TokenParams>("/notify/:urlToken", tokenRoute, async (request, reply) => {
    const endpoint = authorizeSessionApi(deps, request, reply);
    const body = parse(notifyBody, request.body);
    return { message: await deps.conversations.notify({ endpointId: endpoint.id, ...body }) };
  });
}

function endpointFor(deps: RestDeps, token: string): EndpointRuntime {
  const endpoint = findEndpointByToken(deps.endpoints, token);
  if (endpoint === undefined) throw new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", { field: "urlToken" });
  return endpoint;
}

/** The endpoint of the URL token, if it has a secret for inject/notify and the bearer token is one of them. */
function authorizeSessionApi(
  deps: RestDeps,
  request: FastifyRequest<TokenParams>,
  reply: FastifyReply,
): EndpointRuntime {
  const endpoint = endpointFor(deps, request.params.urlToken);
  const secrets = deps.apiSecrets.get(endpoint.id);
  if (secrets === undefined) {
    throw new BatonError("BATON_ERR_SESSION_API_NOT_ENABLED", {
      field: "urlToken",
      expected: "an endpoint with apiSecret set (or a webhook endpoint's callbackSecret)",
    });
  }
  if (!matchesSecret(bearerToken(request.headers.authorization), secrets)) {
    reply.header("www-authenticate", "Bearer");
    throw new BatonError("BATON_ERR_SESSION_API_UNAUTHORIZED", {
      field: "authorization",
      expected: "Bearer <the endpoint's apiSecret>",
    });
  }
  return endpoint;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", describeIssue(parsed.error));
  return parsed.data;
}
