import { BatonError } from "../errors/index.ts";
import { parseFlow, type FlowLoadOptions } from "./load.ts";
import type { Flow } from "./types.ts";

/** Reads a file as UTF-8 text (in production `(path) => fs.readFile(path, "utf8")`). */
export type ReadTextFile = (path: string) => Promise<string>;

/**
 * Reads and parses a flow file. The core does no file I/O itself: the caller passes `readFile`.
 * Throws BATON_ERR_FLOW_FILE_UNREADABLE when the file cannot be read, BATON_ERR_FLOW_INVALID when it is not
 * a valid flow.
 *
 * @example
 * const flow = await loadFlowFile("flows/demo.yaml", (path) => readFile(path, "utf8"));
 * const copilot = await loadFlowFile("flows/copilot.yaml", read, { kind: "copilot" });
 */
export async function loadFlowFile(
  path: string,
  readFile: ReadTextFile,
  options: Pick<FlowLoadOptions, "kind"> = {},
): Promise<Flow> {
  let text: string;
  try {
    text = await readFile(path);
  } catch (error) {
    throw new BatonError("BATON_ERR_FLOW_FILE_UNREADABLE", { file: path }, { cause: error });
  }
  return parseFlow(text, { file: path, ...options });
}
