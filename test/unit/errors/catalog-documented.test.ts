import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { errorCatalog } from "../../../src/errors/index.ts";

const docs = await readFile(new URL("../../../docs/errors.md", import.meta.url), "utf8");
const documented = new Set([...docs.matchAll(/^\| `(BATON_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));

describe("error catalog", () => {
  it("documents every code in docs/errors.md", () => {
    const missing = Object.keys(errorCatalog).filter((code) => !documented.has(code));
    expect(missing).toEqual([]);
  });

  it("documents no code the catalog does not have", () => {
    const stale = [...documented].filter((code) => !Object.hasOwn(errorCatalog, code!));
    expect(stale).toEqual([]);
  });

  it("documents each code with the catalog's HTTP status", () => {
    for (const [code, entry] of Object.entries(errorCatalog)) {
      const row = new RegExp(`^\\| \`${code}\` \\| ${entry.status} \\|`, "m");
      expect(docs, code).toMatch(row);
    }
  });

  it("names every code BATON_ERR_<AREA>_<WHAT>", () => {
    for (const code of Object.keys(errorCatalog)) expect(code).toMatch(/^BATON_ERR_[A-Z0-9]+_[A-Z0-9_]+$/);
  });
});
