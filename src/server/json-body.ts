import type { FastifyInstance } from "fastify";
import { exceedsJsonDepth, tooDeep } from "../utils/text-hygiene.ts";

/**
 * Replaces Fastify's JSON body parser with one that refuses deep nesting before parsing: JSON.parse copes,
 * but everything after it that walks the value (zod, the store's serialiser) recurses and would overflow the
 * stack, a 500 after a session row was already created. The bracket scan does not recurse. Parsing itself
 * stays Fastify's (prototype-poisoning checks, empty-body errors); the size limit stays `bodyLimit`.
 * Scopes that install their own parsers (the provider webhooks keep raw bytes) are not affected.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (exceedsJsonDepth(text)) {
      done(tooDeep("(body)"), undefined);
      return;
    }
    // Fastify's parser is synchronous and answers through `done`; its type allows a promise, so one is
    // handled the same way should a version return one.
    const pending: unknown = parseJson(request, text, done);
    if (pending instanceof Promise) pending.catch((error: unknown) => done(error as Error, undefined));
  });
}
