import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type {} from "@fastify/helmet";
import type { FastifyInstance } from "fastify";
import { pageHelmet } from "../../channels/page-policy.ts";
import { BatonError } from "../../errors/index.ts";

/** The operator page's files: served as they are, there is nothing to build. */
export const adminPageDir = fileURLToPath(new URL("../../../web/admin/", import.meta.url));

/**
 * The operator page at `/admin/` (its script and stylesheet under `/admin/assets/`). The page holds no data
 * and needs no key to load: it asks for the admin key and calls the admin API with it. Same CSP as the web
 * chat page (its own script and style only, the API on the same origin) and no framing at all: an operator
 * console has no business inside someone else's page.
 */
export async function registerAdminPage(app: FastifyInstance, dir: string = adminPageDir): Promise<void> {
  await app.register(fastifyStatic, {
    root: `${dir}assets`,
    prefix: "/admin/assets/",
    index: false,
    decorateReply: false,
  });
  app.get("/admin", (_request, reply) => reply.redirect("/admin/", 302));
  // Never framed: X-Frame-Options DENY as well, for browsers that do not know frame-ancestors.
  const helmet = {
    ...pageHelmet({ frameAncestors: ["'none'"] }),
    xFrameOptions: { action: "deny" as const },
  };
  app.get("/admin/", { helmet }, async (_request, reply) => {
    let html: string;
    try {
      html = await readFile(`${dir}index.html`, "utf8");
    } catch (error) {
      throw new BatonError("BATON_ERR_SERVER_INTERNAL", { page: "admin" }, { cause: error });
    }
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("referrer-policy", "no-referrer")
      .send(html);
  });
}
