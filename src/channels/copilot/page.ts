import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { BatonError } from "../../errors/index.ts";

/** Where `npm run build` puts the workspace app (web/copilot). */
export const copilotDist = fileURLToPath(new URL("../../../dist/web/copilot/", import.meta.url));

/**
 * Serves the workspace app at `/copilot/` and its assets under `/copilot/assets/`. The page holds no data:
 * the socket (`/copilot/ws`) checks the link. The URL carries the link's credentials, so the page asks
 * browsers not to send it on as a referrer and not to cache it.
 */
export async function registerCopilotPage(app: FastifyInstance, dist: string = copilotDist): Promise<void> {
  await app.register(fastifyStatic, {
    root: `${dist}assets`,
    prefix: "/copilot/assets/",
    index: false,
    decorateReply: false,
  });
  app.get("/copilot/", async (_request, reply) => {
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
