import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { findEndpointByToken } from "../../conversation/endpoint-directory.ts";
import type { ConversationService } from "../../conversation/service.ts";
import type { EndpointRuntime } from "../../conversation/types.ts";
import { BatonError } from "../../errors/index.ts";
import { describeIssue, notifyBody, userInputBody } from "../input-schemas.ts";

export interface RestDeps {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly conversations: ConversationService;
}

/**
 * The REST channel and the session APIs:
 * - `POST /endpoints/{urlToken}` `{userId, sessionId, text?, data?}` → `{sessionKey, outputs}` — one turn;
 * - `POST /inject/{urlToken}` — runs the flow with the input without showing it as a user message;
 * - `POST /notify/{urlToken}` — shows a bot message to the user directly.
 */
export function registerRestChannel(app: FastifyInstance, deps: RestDeps): void {
  app.post<{ Params: { urlToken: string } }>("/endpoints/:urlToken", async (request) => {
    const endpoint = endpointFor(deps, request.params.urlToken);
    const body = parse(userInputBody, request.body);
    const result = await deps.conversations.userInput({ endpointId: endpoint.id, ...body });
    return { sessionKey: result.sessionKey, outputs: result.outputs };
  });

  app.post<{ Params: { urlToken: string } }>("/inject/:urlToken", async (request) => {
    const endpoint = endpointFor(deps, request.params.urlToken);
    const body = parse(userInputBody, request.body);
    return { outputs: await deps.conversations.inject({ endpointId: endpoint.id, ...body }) };
  });

  app.post<{ Params: { urlToken: string } }>("/notify/:urlToken", async (request) => {
    const endpoint = endpointFor(deps, request.params.urlToken);
    const body = parse(notifyBody, request.body);
    return { message: await deps.conversations.notify({ endpointId: endpoint.id, ...body }) };
  });
}

function endpointFor(deps: RestDeps, token: string): EndpointRuntime {
  const endpoint = findEndpointByToken(deps.endpoints, token);
  if (endpoint === undefined) throw new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", { field: "urlToken" });
  return endpoint;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new BatonError("BATON_ERR_HTTP_BAD_REQUEST", describeIssue(parsed.error));
  return parsed.data;
}
