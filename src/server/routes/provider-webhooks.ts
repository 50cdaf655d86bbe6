import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BatonError } from "../../errors/index.ts";
import type { HandoverProvider, ProviderWebhook } from "../../providers/port.ts";

type WebhookProvider = HandoverProvider & { readonly webhook: ProviderWebhook };

/**
 * Mounts every provider's webhook where the provider declares it: `POST {path}/{providerId}` always, and
 * `POST {path}` too, which reaches the one provider using that path (8x8's `/handover/eightByEight`) and is
 * refused as ambiguous when several do.
 *
 * Signatures cover the exact body bytes, so this scope replaces Fastify's JSON parser with one that keeps the
 * raw Buffer; the provider parses only after verifying.
 */
export async function registerProviderWebhooks(
  app: FastifyInstance,
  providers: ReadonlyMap<string, HandoverProvider>,
): Promise<void> {
  const byPath = new Map<string, WebhookProvider[]>();
  for (const provider of providers.values()) {
    if (provider.webhook === undefined) continue;
    const path = provider.webhook.path;
    byPath.set(path, [...(byPath.get(path) ?? []), provider as WebhookProvider]);
  }
  await app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, next) => next(null, body));
    for (const [path, candidates] of byPath) {
      scope.post(path, (request, reply) => forward(pickDefault(path, candidates), request, reply));
      scope.post<{ Params: { providerId: string } }>(`${path}/:providerId`, (request, reply) =>
        forward(pickNamed(path, candidates, request.params.providerId), request, reply),
      );
    }
    done();
  });
}

async function forward(
  provider: WebhookProvider,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value[0] : value;
  }
  const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const result = await provider.webhook.handle({ rawBody, headers });
  if (result.status === 204) return reply.status(204).send();
  return reply.status(result.status).send({ outcome: result.outcome });
}

function pickNamed(path: string, candidates: readonly WebhookProvider[], id: string): WebhookProvider {
  const provider = candidates.find((candidate) => candidate.id === id);
  if (provider !== undefined) return provider;
  throw new BatonError("BATON_ERR_PROVIDER_UNKNOWN", {
    field: "providerId",
    expected: `the id of a configured provider that receives events at ${path}`,
  });
}

/** Without a provider id in the path the request is unambiguous only when exactly one provider uses it. */
function pickDefault(path: string, candidates: readonly WebhookProvider[]): WebhookProvider {
  if (candidates.length === 1) return candidates[0]!;
  throw new BatonError("BATON_ERR_PROVIDER_AMBIGUOUS", {
    path,
    expected: `${path}/{providerId}`,
    providers: candidates.map((p) => p.id),
  });
}
