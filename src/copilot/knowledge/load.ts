import { join } from "node:path";
import { BatonError } from "../../errors/index.ts";
import type { KnowledgeIndex } from "../ai/types.ts";
import type { KnowledgeDocument } from "./passages.ts";
import { createKnowledgeIndex } from "./search-index.ts";

/** One entry of a directory listing. Symbolic links are `other` and skipped (no cycles, no escapes). */
export interface KnowledgeDirEntry {
  readonly name: string;
  readonly kind: "file" | "directory" | "other";
}

/**
 * The file-system port the loader reads the knowledge folder through (node-file-system.ts implements it;
 * tests pass an in-memory one). Paths are absolute or relative to the process, as the caller gave `folder`.
 */
export interface KnowledgeFileSystem {
  readdir(path: string): Promise<readonly KnowledgeDirEntry[]>;
  /** Size in bytes, checked before reading so an oversized file is never read. */
  size(path: string): Promise<number>;
  /** The file as UTF-8 text. */
  readFile(path: string): Promise<string>;
}

/** The part of a logger the loader needs; a pino logger fits. */
export interface KnowledgeLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface LoadKnowledgeOptions {
  /** Files larger than this are skipped (logged). Default 2 MB. */
  readonly maxFileBytes?: number;
  /** At most this many files are indexed; the rest is skipped (logged once). Default 5 000. */
  readonly maxFiles?: number;
  readonly logger?: KnowledgeLogger;
}

export const knowledgeLimits = { maxFileBytes: 2 * 1024 * 1024, maxFiles: 5_000, maxDepth: 16 } as const;

const knowledgeFile = /\.(md|markdown|txt)$/i;

/**
 * Reads every Markdown (`.md`, `.markdown`) and text (`.txt`) file under `folder`, recursively, in name
 * order, and indexes their passages. Hidden files and folders (`.git`) are skipped. A folder that cannot be
 * listed is a configuration error (`BATON_ERR_COPILOT_KNOWLEDGE_UNREADABLE`); a single file that cannot be
 * read or is over the limit is skipped and logged, so one bad file does not take the Copilot down.
 *
 * @example
 * const index = await loadKnowledgeIndex(resolve(baseDir, config.copilot.knowledge.folder), nodeKnowledgeFileSystem);
 */
export async function loadKnowledgeIndex(
  folder: string,
  fileSystem: KnowledgeFileSystem,
  options: LoadKnowledgeOptions = {},
): Promise<KnowledgeIndex> {
  const maxFileBytes = options.maxFileBytes ?? knowledgeLimits.maxFileBytes;
  const maxFiles = options.maxFiles ?? knowledgeLimits.maxFiles;
  const warn = (details: Record<string, unknown>, message: string) => options.logger?.warn(details, message);

  let rootEntries: readonly KnowledgeDirEntry[];
  try {
    rootEntries = await fileSystem.readdir(folder);
  } catch (cause) {
    throw new BatonError(
      "BATON_ERR_COPILOT_KNOWLEDGE_UNREADABLE",
      { field: "copilot.knowledge.folder", expected: "a readable folder of .md and .txt files", folder },
      { cause },
    );
  }

  const documents: KnowledgeDocument[] = [];
  const files: string[] = [];
  let tooMany = false;
  // Depth-first in name order, so the same folder always yields the same index (and the same "first" files).
  const walk = async (segments: readonly string[], entries: readonly KnowledgeDirEntry[]) => {
    const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of sorted) {
      if (tooMany) return;
      if (entry.name.startsWith(".")) continue;
      const relative = [...segments, entry.name];
      if (entry.kind === "directory") {
        if (relative.length > knowledgeLimits.maxDepth) continue;
        try {
          await walk(relative, await fileSystem.readdir(join(folder, ...relative)));
        } catch {
          warn(
            { code: "BATON_ERR_COPILOT_KNOWLEDGE_UNREADABLE", source: relative.join("/") },
            "A knowledge subfolder cannot be read; it is skipped.",
          );
        }
      } else if (entry.kind === "file" && knowledgeFile.test(entry.name)) {
        if (files.length >= maxFiles) {
          tooMany = true;
          warn(
            { code: "BATON_ERR_COPILOT_KNOWLEDGE_LIMIT", limit: maxFiles, source: relative.join("/") },
            "The knowledge folder has more files than the limit; the rest is not indexed.",
          );
          return;
        }
        files.push(relative.join("/"));
      }
    }
  };
  await walk([], rootEntries);

  for (const source of files) {
    const path = join(folder, ...source.split("/"));
    try {
      const size = await fileSystem.size(path);
      if (size > maxFileBytes) {
        warn(
          { code: "BATON_ERR_COPILOT_KNOWLEDGE_LIMIT", source, bytes: size, limit: maxFileBytes },
          "A knowledge file is larger than the limit; it is not indexed.",
        );
        continue;
      }
      documents.push({ source, text: await fileSystem.readFile(path) });
    } catch {
      warn(
        { code: "BATON_ERR_COPILOT_KNOWLEDGE_UNREADABLE", source },
        "A knowledge file cannot be read; it is skipped.",
      );
    }
  }
  return createKnowledgeIndex(documents);
}
