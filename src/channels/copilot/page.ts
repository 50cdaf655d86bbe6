import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { BatonError } from "../../errors/index.ts";
import type { CopilotAccess } from "./access.ts";

/** Where `npm run build` puts the workspace app (web/copilot). */
export const copilotDist = fileURLToPath(new URL("../../../dist/web/copilot/", import.meta.url));

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
): Promise<void> {
  await app.register(fastifyStatic, {
    root: `${dist}assets`,
    prefix: "/copilot/assets/",
    index: false,
    decorateReply: false,
  });
  app.get("/copilot/", async (request, reply) => {
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
