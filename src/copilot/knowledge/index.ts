import type { KnowledgeIndex } from "../ai/types.ts";
import { loadKnowledgeIndex, type LoadKnowledgeOptions } from "./load.ts";
import { nodeKnowledgeFileSystem } from "./node-file-system.ts";

export {
  knowledgeLimits,
  loadKnowledgeIndex,
  type KnowledgeDirEntry,
  type KnowledgeFileSystem,
  type KnowledgeLogger,
  type LoadKnowledgeOptions,
} from "./load.ts";
export { nodeKnowledgeFileSystem } from "./node-file-system.ts";
export { createKnowledgeIndex, emptyKnowledgeIndex, maxExcerptLength } from "./search-index.ts";
export { splitIntoPassages, type KnowledgeDocument, type Passage } from "./passages.ts";

/**
 * The knowledge folder on disk as a KnowledgeIndex; `folder` is already resolved (the config's
 * `copilot.knowledge.folder` is relative to the config file).
 *
 * @example
 * const knowledge = config.copilot.knowledge
 *   ? await loadKnowledgeFolder(resolve(baseDir, config.copilot.knowledge.folder), { logger })
 *   : emptyKnowledgeIndex;
 */
export function loadKnowledgeFolder(
  folder: string,
  options: LoadKnowledgeOptions = {},
): Promise<KnowledgeIndex> {
  return loadKnowledgeIndex(folder, nodeKnowledgeFileSystem, options);
}
