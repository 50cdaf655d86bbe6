import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import type { EndpointRuntime } from "../../conversation/types.ts";
import { BatonError } from "../../errors/index.ts";

/** Where `npm run build:web` puts the page (npm start builds it first). */
export const webchatDist = fileURLToPath(new URL("../../../dist/web/webchat/", import.meta.url));

/**
 * Serves the web chat page at `/` for the first webchat endpoint (or `/?endpoint=<id>`), with the endpoint's
 * URL token in a meta tag, and its assets under `/assets/`.
 */
export async function registerWebchatPage(
  app: FastifyInstance,
  endpoints: ReadonlyMap<string, EndpointRuntime>,
): Promise<void> {
  await app.register(fastifyStatic, {
    root: `${webchatDist}assets`,
    prefix: "/assets/",
    index: false,
    decorateReply: false,
  });
  app.get<{ Querystring: { endpoint?: string } }>("/", async (request, reply) => {
    const webchats = [...endpoints.values()].filter((e) => e.channel === "webchat");
    const endpoint =
      request.query.endpoint === undefined
        ? webchats[0]
        : webchats.find((e) => e.id === request.query.endpoint);
    if (endpoint === undefined) {
      throw new BatonError("BATON_ERR_ENDPOINT_UNKNOWN", {
        field: "endpoint",
        expected: "the id of a webchat endpoint",
      });
    }
    let html: string;
    try {
      html = await readFile(`${webchatDist}index.html`, "utf8");
    } catch {
      throw new BatonError("BATON_ERR_WEBCHAT_NOT_BUILT");
    }
    const meta = `<meta name="baton-endpoint" content="${endpoint.urlToken}">`;
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(html.replace("</head>", `  ${meta}\n</head>`));
  });
}
