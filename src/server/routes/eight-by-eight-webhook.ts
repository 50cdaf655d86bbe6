import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BatonError } from "../../errors/index.ts";
import type { HandoverProvider } from "../../providers/port.ts";

/**
 * `POST /handover/eightByEight` and `POST /handover/eightByEight/{providerId}`.
 *
 * The signature covers the exact body bytes, so this scope replaces Fastify's JSON parser with one that
 * keeps the raw Buffer; the provider parses only after verifying.
 */
export async function registerEightByEightWebhook(
  app: FastifyInstance,
  providers: ReadonlyMap<string, HandoverProvider>,
): Promise<void> {
  const eightByEight = [...providers.values()].filter((p) => p.type === "8x8");
  await app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, next) => next(null, body));
    scope.post("/handover/eightByEight", (request, reply) =>
      forward(pickDefaultProvider(eightByEight), request, reply),
    );
    scope.post<{ Params: { providerId: string } }>("/handover/eightByEight/:providerId", (request, reply) =>
      forward(pickNamedProvider(providers, request.params.providerId), request, reply),
    );
    done();
  });
}

async function forward(
  provider: HandoverProvider,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value[0] : value;
  }
  const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const result = await provider.handleWebhook({ rawBody, headers });
  if (result.status === 204) return reply.status(204).send();
  return reply.status(result.status).send({ outcome: result.outcome });
}

function pickNamedProvider(providers: ReadonlyMap<string, HandoverProvider>, id: string): HandoverProvider {
  const provider = providers.get(id);
  if (provider?.type === "8x8") return provider;
  throw new BatonError("BATON_ERR_PROVIDER_UNKNOWN", {
    field: "providerId",
    expected: "the id of a configured 8x8 provider",
  });
}

/** Without a provider id in the path the request is unambiguous only when exactly one 8x8 provider exists. */
function pickDefaultProvider(candidates: readonly HandoverProvider[]): HandoverProvider {
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    throw new BatonError("BATON_ERR_PROVIDER_UNKNOWN", { expected: "an 8x8 provider in the configuration" });
  }
  throw new BatonError("BATON_ERR_PROVIDER_AMBIGUOUS", { providers: candidates.map((p) => p.id) });
}
