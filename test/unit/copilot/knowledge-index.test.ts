import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  createKnowledgeIndex,
  emptyKnowledgeIndex,
  loadKnowledgeFolder,
  loadKnowledgeIndex,
  maxExcerptLength,
  type KnowledgeDirEntry,
  type KnowledgeFileSystem,
  type KnowledgeLogger,
} from "../../../src/copilot/knowledge/index.ts";
import { isBatonError } from "../../../src/errors/index.ts";

/** An in-memory folder: paths are `/kb/...`, directories are implied by the files under them. */
function memoryFileSystem(files: Record<string, string>, unreadable: readonly string[] = []) {
  const reads: string[] = [];
  const fileSystem: KnowledgeFileSystem = {
    readdir(path) {
      const prefix = `${path.replace(/\/$/, "")}/`;
      const entries = new Map<string, KnowledgeDirEntry["kind"]>();
      for (const file of Object.keys(files)) {
        if (!file.startsWith(prefix)) continue;
        const [name, ...rest] = file.slice(prefix.length).split("/");
        entries.set(name!, rest.length > 0 ? "directory" : "file");
      }
      if (entries.size === 0) return Promise.reject(new Error(`ENOENT ${path}`));
      return Promise.resolve([...entries].map(([name, kind]) => ({ name, kind })));
    },
    size: (path) => Promise.resolve(Buffer.byteLength(files[path] ?? "")),
    readFile(path) {
      reads.push(path);
      if (unreadable.includes(path)) return Promise.reject(new Error("EACCES"));
      return Promise.resolve(files[path]!);
    },
  };
  return { fileSystem, reads };
}

function recordingLogger() {
  const records: Record<string, unknown>[] = [];
  const logger: KnowledgeLogger = { warn: (details) => records.push(details) };
  return { logger, records };
}

const sampleFolder = fileURLToPath(new URL("../../../knowledge", import.meta.url));

describe("knowledge index", () => {
  it("finds passages by words, prefixes and typos, with title, relative source and excerpt", async () => {
    const index = createKnowledgeIndex([
      {
        source: "returns.md",
        text: "# Returns\n\nYou can return items within 30 days. Refunds take 5 working days.",
      },
      { source: "shipping/delivery.md", text: "# Delivery\n\nStandard delivery takes 2 to 4 working days." },
    ]);
    expect(index.size).toBe(2);

    const [hit] = await index.search("refund");
    expect(hit).toMatchObject({
      title: "Returns",
      source: "returns.md",
      excerpt: "You can return items within 30 days. Refunds take 5 working days.",
    });
    expect(hit!.score).toBeGreaterThan(0);
    expect((await index.search("delivry"))[0]?.source).toBe("shipping/delivery.md"); // typo
    expect((await index.search("deliv"))[0]?.source).toBe("shipping/delivery.md"); // prefix
    expect(await index.search("the and of")).toEqual([]); // stop words only
    expect(await index.search("   ")).toEqual([]);
    expect(await index.search("quantum")).toEqual([]);
  });

  it("ranks a title match above a passing mention and honours the limit", async () => {
    const index = createKnowledgeIndex([
      { source: "a.md", text: "# Invoices\n\nEvery order comes with a PDF." },
      { source: "b.md", text: "# Account\n\nYou can change your address. Invoices are kept for ten years." },
      { source: "c.md", text: "# Delivery\n\nInvoices travel with the parcel." },
    ]);
    const results = await index.search("invoices", { limit: 2 });
    expect(results).toHaveLength(2);
    expect(results[0]!.source).toBe("a.md");
    expect(results[0]!.score).toBeGreaterThanOrEqual(results[1]!.score);
  });

  it("trims a long passage's excerpt around the first match", async () => {
    const filler = "This sentence is only here to make the paragraph long enough to be cut. ".repeat(5);
    const index = createKnowledgeIndex([
      { source: "long.md", text: `# Long\n\n${filler}The warranty lasts two years from delivery. ${filler}` },
    ]);
    const [hit] = await index.search("warranty");
    expect(hit!.excerpt.length).toBeLessThanOrEqual(maxExcerptLength + 2);
    expect(hit!.excerpt).toContain("The warranty lasts two years from delivery.");
    expect(hit!.excerpt.startsWith("…")).toBe(true);
    expect(hit!.excerpt.endsWith("…")).toBe(true);
  });

  it("an empty index finds nothing", async () => {
    expect(emptyKnowledgeIndex.size).toBe(0);
    expect(await emptyKnowledgeIndex.search("refund")).toEqual([]);
  });
});

describe("knowledge folder loading", () => {
  it("reads .md and .txt files recursively in name order, skipping hidden and other files", async () => {
    const { fileSystem, reads } = memoryFileSystem({
      "/kb/b.md": "# B\n\nAbout billing.",
      "/kb/a.txt": "About accounts.",
      "/kb/sub/deeper/c.markdown": "# C\n\nAbout couriers.",
      "/kb/.git/config.md": "# Hidden\n\nhidden text",
      "/kb/image.png": "binary",
      "/kb/notes.docx": "binary",
    });
    const index = await loadKnowledgeIndex("/kb", fileSystem);
    expect(index.size).toBe(3);
    expect(reads).toEqual(["/kb/a.txt", "/kb/b.md", "/kb/sub/deeper/c.markdown"]);
    expect((await index.search("couriers"))[0]).toMatchObject({
      title: "C",
      source: "sub/deeper/c.markdown",
    });
    expect(await index.search("hidden")).toEqual([]);
  });

  it("skips files over the size limit and stops at the file limit, logging both", async () => {
    const { fileSystem, reads } = memoryFileSystem({
      "/kb/1.md": "one",
      "/kb/2.md": "x".repeat(200),
      "/kb/3.md": "three",
      "/kb/4.md": "four",
    });
    const { logger, records } = recordingLogger();
    const index = await loadKnowledgeIndex("/kb", fileSystem, { maxFileBytes: 100, maxFiles: 3, logger });
    expect(reads).toEqual(["/kb/1.md", "/kb/3.md"]);
    expect(index.size).toBe(2);
    expect(records).toEqual([
      { code: "BATON_ERR_COPILOT_KNOWLEDGE_LIMIT", limit: 3, source: "4.md" },
      { code: "BATON_ERR_COPILOT_KNOWLEDGE_LIMIT", source: "2.md", bytes: 200, limit: 100 },
    ]);
  });

  it("skips an unreadable file but fails on an unreadable folder", async () => {
    const { fileSystem } = memoryFileSystem({ "/kb/ok.md": "fine", "/kb/locked.md": "secret" }, [
      "/kb/locked.md",
    ]);
    const { logger, records } = recordingLogger();
    expect((await loadKnowledgeIndex("/kb", fileSystem, { logger })).size).toBe(1);
    expect(records).toEqual([{ code: "BATON_ERR_COPILOT_KNOWLEDGE_UNREADABLE", source: "locked.md" }]);

    const error: unknown = await loadKnowledgeIndex("/missing", fileSystem).catch((e: unknown) => e);
    expect(isBatonError(error) && error.code).toBe("BATON_ERR_COPILOT_KNOWLEDGE_UNREADABLE");
    expect(isBatonError(error) && error.details.field).toBe("copilot.knowledge.folder");
  });

  it("indexes the sample knowledge folder the demo searches", async () => {
    const index = await loadKnowledgeFolder(sampleFolder);
    expect(index.size).toBeGreaterThanOrEqual(3);
    const expectations: [string, string][] = [
      ["How long does a refund take?", "returns-and-refunds.md"],
      ["Where is my parcel? tracking number", "delivery-and-tracking.md"],
      ["forgot password", "account-and-password.md"],
      ["opening hours saturday", "opening-hours.md"],
      ["charged twice invoice", "invoices-and-billing.md"],
    ];
    for (const [query, source] of expectations) {
      expect((await index.search(query))[0]?.source, query).toBe(source);
    }
  });
});
