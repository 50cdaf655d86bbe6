import { isAbsolute, resolve } from "node:path";
import { BatonError } from "../errors/index.ts";

/** A parsed `store:` setting. */
export type StoreLocation =
  | { readonly dialect: "pglite"; readonly dataDir: string | undefined }
  | { readonly dialect: "postgres"; readonly connectionString: string; readonly schema: string | undefined };

const memoryNames = new Set(["memory", ":memory:", "memory://"]);

/**
 * `pglite://<dir>` (relative to `baseDir`), `pglite://memory` for a throw-away in-memory database, or
 * `postgres[ql]://user:pass@host:port/db[?schema=name]`. The optional `schema` keeps several Baton
 * installations (or test runs) apart in one database.
 */
export function parseStoreUrl(url: string, baseDir: string = process.cwd()): StoreLocation {
  if (url.startsWith("pglite://")) {
    const path = url.slice("pglite://".length);
    if (path === "") throw invalidStoreUrl();
    if (memoryNames.has(path)) return { dialect: "pglite", dataDir: undefined };
    return { dialect: "pglite", dataDir: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidStoreUrl();
    }
    const schema = parsed.searchParams.get("schema") ?? undefined;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new BatonError("BATON_ERR_STORE_URL_INVALID", {
        field: "store",
        expected: "schema= a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)",
      });
    }
    parsed.searchParams.delete("schema");
    return { dialect: "postgres", connectionString: parsed.toString(), schema };
  }
  throw invalidStoreUrl();
}

function invalidStoreUrl(): BatonError {
  return new BatonError("BATON_ERR_STORE_URL_INVALID", {
    field: "store",
    expected: "pglite://<directory>, pglite://memory or postgres://user:pass@host:5432/db",
  });
}
