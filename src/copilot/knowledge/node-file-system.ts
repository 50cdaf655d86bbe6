import { readdir, readFile, stat } from "node:fs/promises";
import type { KnowledgeFileSystem } from "./load.ts";

/**
 * The knowledge loader's file-system port on Node's `fs`: the only file of copilot/knowledge that touches
 * the disk (the ESLint boundaries keep it that way).
 */
export const nodeKnowledgeFileSystem: KnowledgeFileSystem = {
  async readdir(path) {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.map((entry) => ({
      name: entry.name,
      // Dirent does not follow symbolic links, so a link is neither a file nor a directory: skipped.
      kind: entry.isFile() ? "file" : entry.isDirectory() ? "directory" : "other",
    }));
  },
  async size(path) {
    return (await stat(path)).size;
  },
  readFile(path) {
    return readFile(path, "utf8");
  },
};
