import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type {} from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import { BatonError } from "../../errors/index.ts";
import { pageHelmet } from "../page-policy.ts";
import type { CopilotAccess } from "./access.ts";

/** Where `npm run build` puts the workspace app (web/copilot). */
export const copilotDist = fileURLToPath(new URL("../../../dist/web/copilot/", import.meta.url));

export interface CopilotPageHeaders {
  /** `copilot.frameAncestors`: who may embed the workspace (8x8's agent desktop). */
  readonly frameAncestors: readonly string[];
  /** `copilot.iframeOrigins`: what iFrame tiles may show. */
  readonly iframeOrigins: readonly string[];
}

/**
 * The workspace's CSP. The app is one script and one stylesheet from /copilot/assets/ and a socket to the
 * same origin. HTML tiles are `srcdoc` iframes, and a srcdoc document runs under its parent's policy: their
 * SDK and the flow's HTML are inline scripts and styles, so scripts and styles allow 'unsafe-inline' (the app
 * itself has none, and React escapes what it shows; the tiles stay sandboxed in an opaque origin). iFrame
 * tiles load only the configured `copilot.iframeOrigins` (`'none'` without any). Images: the same origin,
 * data: and https (an identity tile's picture is any URL the flow gives). X-Frame-Options is left out: it
 * cannot name 8x8's desktop; frame-ancestors does.
 */
function copilotPageHelmet(headers: CopilotPageHeaders) {
  return pageHelmet({
    inline: true,
    frameOrigins: headers.iframeOrigins,
    frameAncestors: headers.frameAncestors,
  });
}

/**
 * Serves the workspace app at `/copilot/` and its assets under `/copilot/assets/` (code only, no data). The
 * page itself holds no data either, but it is served only for a link that opens a workspace (the same check
 * as the socket's, counted together): a refused link gets the catalog's 404 (or 429) instead of an app that
 * looks like a workspace. The URL carries the link's credentials, so the page asks browsers not to send it
 * on as a referrer and not to cache it.
 */
export async function registerCopilotPage(
  app: FastifyInstance,
  access: CopilotAccess,
  dist: string = copilotDist,
  headers: CopilotPageHeaders = { frameAncestors: ["'self'"], iframeOrigins: [] },
): Promise<void> {
  await app.register(fastifyStatic, {
    root: `${dist}assets`,
    prefix: "/copilot/assets/",
    index: false,
    decorateReply: false,
  });
  app.get("/copilot/", { helmet: copilotPageHelmet(headers) }, async (request, reply) => {
    await access.open(request.query, request.ip);
    let html: string;
    try {
      html = await readFile(`${dist}index.html`, "utf8");
    } catch {
      throw new BatonError("BATON_ERR_COPILOT_NOT_BUILT");
    }
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("referrer-policy", "no-referrer")
      .send(html);
  });
}
