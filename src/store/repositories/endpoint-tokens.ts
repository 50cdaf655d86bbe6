import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import { BatonError } from "../../errors/index.ts";
import type { Database } from "../schema.ts";
import { isUniqueViolation } from "../transactions.ts";
import type { EndpointTokenRepository } from "../types.ts";

export function createEndpointTokenRepository(db: Kysely<Database>): EndpointTokenRepository {
  return {
    async ensureToken(endpointId, configured) {
      if (configured !== undefined) {
        try {
          const row = await db
            .insertInto("endpoint_tokens")
            .values({ endpoint_id: endpointId, url_token: configured })
            .onConflict((oc) => oc.column("endpoint_id").doUpdateSet({ url_token: configured }))
            .returning("url_token")
            .executeTakeFirstOrThrow();
          return row.url_token;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          // Never put the token itself into the error: it is a credential.
          throw new BatonError(
            "BATON_ERR_STORE_CONFLICT",
            { field: `endpoints.${endpointId}.urlToken`, expected: "a URL token no other endpoint uses" },
            { cause: error },
          );
        }
      }
      // Two instances starting together both generate a token; ON CONFLICT DO NOTHING lets exactly one insert
      // win and the other reads the winner's, so they agree.
      const inserted = await db
        .insertInto("endpoint_tokens")
        .values({ endpoint_id: endpointId, url_token: randomBytes(32).toString("hex") })
        .onConflict((oc) => oc.column("endpoint_id").doNothing())
        .returning("url_token")
        .executeTakeFirst();
      if (inserted) return inserted.url_token;
      const existing = await db
        .selectFrom("endpoint_tokens")
        .select("url_token")
        .where("endpoint_id", "=", endpointId)
        .executeTakeFirstOrThrow();
      return existing.url_token;
    },

    async findByToken(token) {
      // Tokens are compared in constant time: an index lookup would leak, through its timing, how
      // much of a guess matched; endpoints are few (they come from the config), so compare against each.
      const rows = await db.selectFrom("endpoint_tokens").select(["endpoint_id", "url_token"]).execute();
      const given = Buffer.from(token, "utf8");
      let match: string | undefined;
      for (const row of rows) {
        const stored = Buffer.from(row.url_token, "utf8");
        if (stored.length === given.length && timingSafeEqual(stored, given)) match = row.endpoint_id;
      }
      return match;
    },
  };
}
