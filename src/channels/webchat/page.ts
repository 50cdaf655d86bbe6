import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type {} from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import type { EndpointRuntime } from "../../conversation/types.ts";
import { BatonError } from "../../errors/index.ts";
import { pageHelmet } from "../page-policy.ts";

/** Where `npm run build:web` puts the page (npm start builds it first). */
export const webchatDist = fileURLToPath(new URL("../../../dist/web/webchat/", import.meta.url));

export interface WebchatPageHeaders {
  /** `webchat.frameAncestors`: who may show the page in a frame. */
  readonly frameAncestors: readonly string[];
  /** Origins of the agents' attachments over plain http (the providers' base URLs; https is allowed anyway). */
  readonly imageOrigins: readonly string[];
}

/**
 * The page's CSP, exactly what the built page uses: its script and stylesheet from /assets/ (no inline code,
 * no eval), the socket to the same origin, images from the same origin, data: (the icon) and the agents'
 * attachments, which 8x8 serves from its own hosts (any https host; the providers' base URLs for plain-http
 * setups like the simulator). Framing follows `webchat.frameAncestors` (X-Frame-Options is left out: it
 * cannot name other origins, and browsers follow frame-ancestors over it).
 */
function webchatPageHelmet(headers: WebchatPageHeaders) {
  return pageHelmet({ imageOrigins: headers.imageOrigins, frameAncestors: headers.frameAncestors });
}

/**
 * Serves the web chat page at `/` for the first webchat endpoint (or `/?endpoint=<id>`), with the endpoint's
 * URL token in a meta tag, and its assets under `/assets/`.
 */
export async function registerWebchatPage(
  app: FastifyInstance,
  endpoints: ReadonlyMap<string, EndpointRuntime>,
  headers: WebchatPageHeaders = { frameAncestors: ["'self'"], imageOrigins: [] },
): Promise<void> {
  await app.register(fastifyStatic, {
    root: `${webchatDist}assets`,
    prefix: "/assets/",
    index: false,
    decorateReply: false,
  });
  app.get<{ Querystring: { endpoint?: string } }>(
    "/",
    { helmet: webchatPageHelmet(headers) },
    async (request, reply) => {
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
    },
  );
}
