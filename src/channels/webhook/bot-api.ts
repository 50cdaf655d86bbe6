import type { FastifyInstance, FastifyRequest } from "fastify";
import type { z } from "zod";
import { findEndpointByToken } from "../../conversation/endpoint-directory.ts";
import type { ConversationService } from "../../conversation/service.ts";
import { isBotApiEndpoint, type EndpointRuntime } from "../../conversation/types.ts";
import { BatonError } from "../../errors/index.ts";
import { checkHandoverRequest } from "../../handover/capabilities.ts";
import type { HandoverMachineState } from "../../handover/machine/types.ts";
import type { HandoverProvider } from "../../providers/port.ts";
import type { Store } from "../../store/types.ts";
import { describeIssue } from "../input-schemas.ts";
import { bearerToken, matchesSecret } from "../../utils/bearer.ts";
import {
  botHandoverBody,
  botInactivityBody,
  botSessionBody,
  botSessionQuery,
  toHandoverRequest,
} from "./bot-api-schemas.ts";

export interface BotApiDeps {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly conversations: ConversationService;
  readonly store: Pick<Store, "sessions" | "messages" | "handovers">;
  /**
   * Configured providers: a request naming another, or asking for more than its provider takes, is refused
   * before anything changes.
   */
  readonly providers: ReadonlyMap<string, Pick<HandoverProvider, "capabilities">>;
}

type TokenParams = { Params: { urlToken: string } };

/** Limited per client address (server/app.ts, server.limits.tokenRoutesPerMinute). */
const tokenRoute = { config: { tokenRoute: true } };

/**
 * The bot API (docs/bot-api.md): how an external bot — an endpoint with channel `webhook` and no flow — hands
 * its users to an agent and takes them back. Its users' messages and the handover events reach the bot at the
 * endpoint's callbackUrl; it answers with `POST /notify/{urlToken}` and acts with these routes:
 * - `POST /endpoints/{urlToken}/handover` — start a handover (202 `{handoverId}`);
 * - `DELETE /endpoints/{urlToken}/handover` — close the open one;
 * - `POST /endpoints/{urlToken}/handover/inactivity` — (re)arm its inactivity timer;
 * - `GET /endpoints/{urlToken}/sessions/{sessionId}?userId=` — the session's messages and handover.
 *
 * Each needs the endpoint's URL token and `authorization: Bearer <callbackSecret>`, both compared in constant
 * time: the URL token alone also opens the user-facing channels, the secret is what only the bot holds.
 */
export function registerBotApi(app: FastifyInstance, deps: BotApiDeps): void {
  app.post<TokenParams>("/endpoints/:urlToken/handover", tokenRoute, async (request, reply) => {
    const endpoint = authorize(deps, request);
    const body = parse(botHandoverBody, request.body);
    const providerId = body.provider ?? endpoint.providerId;
    if (providerId === undefined) {
      throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", {
        field: "provider",
        expected: "a provider id (this endpoint has no handover.provider)",
      });
    }
    const provider = deps.providers.get(providerId);
    if (provider === undefined) {
      throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", {
        field: "provider",
        expected: `a configured provider id (${[...deps.providers.keys()].join(", ") || "none is configured"})`,
      });
    }
    const handoverRequest = toHandoverRequest(body);
    const [problem] = checkHandoverRequest(handoverRequest, provider.capabilities, providerId);
    if (problem !== undefined) throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", { ...problem });
    const { handoverId } = await deps.conversations.botStartHandover(
      { endpointId: endpoint.id, userId: body.userId, sessionId: body.sessionId },
      handoverRequest,
    );
    return reply.status(202).send({ handoverId });
  });

  app.delete<TokenParams>("/endpoints/:urlToken/handover", tokenRoute, async (request) => {
    const endpoint = authorize(deps, request);
    // Some HTTP clients cannot send a DELETE body: the ids may come in the query string instead.
    const body = parse(botSessionBody, request.body ?? request.query);
    return deps.conversations.botCloseHandover({ endpointId: endpoint.id, ...body });
  });

  app.post<TokenParams>("/endpoints/:urlToken/handover/inactivity", tokenRoute, async (request) => {
    const endpoint = authorize(deps, request);
    const { seconds, ...key } = parse(botInactivityBody, request.body);
    return deps.conversations.botSetHandoverInactivity({ endpointId: endpoint.id, ...key }, seconds);
  });

  app.get<{ Params: { urlToken: string; sessionId: string } }>(
    "/endpoints/:urlToken/sessions/:sessionId",
    tokenRoute,
    async (request) => {
      const endpoint = authorize(deps, request);
      const query = parse(botSessionQuery, request.query);
      const key = { endpointId: endpoint.id, userId: query.userId, sessionId: request.params.sessionId };
      const session = await deps.store.sessions.find(key);
      if (session === undefined) throw new BatonError("BATON_ERR_SESSION_NOT_FOUND", { field: "sessionId" });
      // One more than asked tells whether there is a next page.
      const page = await deps.store.messages.listAfter(session.id, query.afterSeq, query.limit + 1);
      const messages = page.slice(0, query.limit).map((stored) => {
        const {
          sessionId: _key,
          providerId: _p,
          providerMessageRef: _r,
          deliveryState: _d,
          ...shown
        } = stored;
        return shown;
      });
      const open = await deps.store.handovers.findOpenBySession(session.id);
      return {
        userId: session.userId,
        sessionId: session.sessionId,
        messages,
        hasMore: page.length > query.limit,
        handover: open === undefined ? null : describeHandover(open.machine),
        banner: await deps.conversations.bannerFor(session.id),
      };
    },
  );
}

function describeHandover(machine: HandoverMachineState) {
  return {
    handoverId: machine.handoverId,
    state: machine.state,
    providerId: machine.request.providerId,
    requestedAt: new Date(machine.requestedAt).toISOString(),
    ...(machine.queue !== undefined ? { queue: machine.queue } : {}),
    ...(machine.agent !== undefined ? { agent: machine.agent } : {}),
    ...(machine.inactivity.seconds !== undefined ? { inactivitySeconds: machine.inactivity.seconds } : {}),
  };
}

/** The endpoint of the URL token, if it is an external-bot endpoint and the bearer token is its secret. */
function authorize(deps: BotApiDeps, request: FastifyRequest<TokenParams>): EndpointRuntime {
  const endpoint = findEndpointByToken(deps.endpoints, request.params.urlToken);
  if (endpoint === undefined) throw new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", { field: "urlToken" });
  if (!isBotApiEndpoint(endpoint) || endpoint.callback === undefined) {
    throw new BatonError("BATON_ERR_BOT_API_NOT_ENABLED", { field: "urlToken" });
  }
  if (!matchesSecret(bearerToken(request.headers.authorization), [endpoint.callback.secret])) {
    throw new BatonError("BATON_ERR_BOT_API_UNAUTHORIZED", {
      field: "authorization",
      expected: "Bearer <the endpoint's callbackSecret>",
    });
  }
  return endpoint;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", describeIssue(parsed.error));
  return parsed.data;
}
