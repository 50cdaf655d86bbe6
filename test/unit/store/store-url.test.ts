import { describe, expect, it } from "vitest";
import { parseStoreUrl } from "../../../src/store/index.ts";

describe("store URL", () => {
  it("reads pglite directories relative to the base directory, and memory", () => {
    expect(parseStoreUrl("pglite://.baton/data", "/srv/baton")).toEqual({
      dialect: "pglite",
      dataDir: "/srv/baton/.baton/data",
    });
    expect(parseStoreUrl("pglite:///var/lib/baton", "/srv")).toEqual({
      dialect: "pglite",
      dataDir: "/var/lib/baton",
    });
    expect(parseStoreUrl("pglite://memory")).toEqual({ dialect: "pglite", dataDir: undefined });
  });

  it("reads postgres URLs and takes the schema out of the connection string", () => {
    expect(parseStoreUrl("postgres://u:p@db:5432/baton?schema=tenant_a")).toEqual({
      dialect: "postgres",
      connectionString: "postgres://u:p@db:5432/baton",
      schema: "tenant_a",
    });
  });

  it.each(["mysql://x", "pglite://", "postgres://u:p@db/x?schema=Bad-Name", "just-text"])(
    "rejects %s with BATON_ERR_STORE_URL_INVALID and no credentials in the error",
    (url) => {
      try {
        parseStoreUrl(url);
        expect.unreachable();
      } catch (error) {
        expect(error).toMatchObject({ code: "BATON_ERR_STORE_URL_INVALID", details: { field: "store" } });
        expect(JSON.stringify(error)).not.toContain("u:p");
      }
    },
  );
});
