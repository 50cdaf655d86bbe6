import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { BatonError } from "../errors/index.ts";
import { allowedIn, definitionOf, isFlowNodeType, nodeRegistry, type FlowNode } from "./nodes/index.ts";
import { nodeIdExpectation, nodeIdPattern, nodeRef } from "./nodes/fields.ts";
import type { Flow, FlowKind } from "./types.ts";

/** One problem in a flow file: where (file, line, node, field) and what was expected there. */
export interface FlowIssue {
  readonly file: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  /** The node the problem is in; absent for the flow's own keys (id, start, nodes). */
  readonly nodeId?: string;
  /** The field inside the node (or the flow): `quickReplies[0].title`, `cases.completed`, `start`. */
  readonly field: string;
  readonly expected: string;
}

export type FlowCheckResult =
  { readonly ok: true; readonly flow: Flow } | { readonly ok: false; readonly issues: readonly FlowIssue[] };

const flowIdExpectation = "a flow id (letters, digits, '-' and '_', starting with a letter)";

const flowSchema = z.strictObject({
  id: z.string({ error: flowIdExpectation }).regex(nodeIdPattern, { error: flowIdExpectation }).optional(),
  start: nodeRef,
  nodes: z
    .record(z.string(), z.unknown(), { error: "an object of node id: node" })
    .refine((nodes) => Object.keys(nodes).length > 0, { error: "at least one node" }),
});

const nodeTypesOf = (kind: FlowKind) =>
  (Object.keys(nodeRegistry) as (keyof typeof nodeRegistry)[]).filter((type) => allowedIn(type, kind));

export interface FlowLoadOptions {
  readonly file: string;
  /** `main` (default): an endpoint's conversation flow; `copilot`: an endpoint's Copilot workspace flow. */
  readonly kind?: FlowKind;
}

/**
 * Parses and validates a YAML flow, collecting every problem at once: YAML syntax, unknown keys, wrong
 * values, expressions and templates that do not parse, regexes that do not compile, and `next` / targets /
 * `start` that name no node. Does no I/O (see loadFlowFile).
 *
 * @example
 * const result = checkFlow(text, { file: "flows/demo.yaml" });
 * if (!result.ok) for (const issue of result.issues) console.error(formatFlowIssue(issue));
 */
export function checkFlow(yamlText: string, options: FlowLoadOptions): FlowCheckResult {
  const { file } = options;
  const kind = options.kind ?? "main";
  const lineCounter = new LineCounter();
  // Positions come from a LineCounter rather than yaml's pretty errors, which quote the offending line.
  const document = parseDocument(yamlText, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (document.errors.length > 0) {
    const issues = document.errors.map<FlowIssue>((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return {
        file,
        line,
        field: `(yaml, column ${col})`,
        expected: `valid YAML (${e.code.toLowerCase().replaceAll("_", " ")})`,
      };
    });
    return { ok: false, issues };
  }
  const lineOf = (path: readonly (string | number)[]) => findLine(document, lineCounter, path);
  const has = (path: readonly (string | number)[]) => document.hasIn(path);
  const raw: unknown = document.toJS();
  const issues: FlowIssue[] = [];
  // The flow's own keys and each node are validated independently, so one bad part hides nothing else.
  const top = flowSchema.safeParse(raw ?? {});
  if (!top.success) {
    const known = knownKeys(flowSchema);
    issues.push(...top.error.issues.flatMap((issue) => toFlowIssues(issue, { file, known, lineOf, has })));
  }
  const rawNodes = isRecord(raw) && isRecord(raw.nodes) ? raw.nodes : {};
  const nodes = new Map<string, FlowNode>();
  for (const [nodeId, rawNode] of Object.entries(rawNodes)) {
    const at = (path: readonly (string | number)[]) => lineOf(["nodes", nodeId, ...path]);
    if (!nodeIdPattern.test(nodeId)) {
      issues.push({ file, line: at([]), nodeId, field: "(id)", expected: nodeIdExpectation });
    }
    const type: unknown = isRecord(rawNode) ? rawNode.type : undefined;
    if (!isFlowNodeType(type)) {
      const known = nodeTypesOf(kind).join(", ");
      issues.push({ file, line: at(["type"]), nodeId, field: "type", expected: `one of ${known}` });
      continue;
    }
    if (!allowedIn(type, kind)) {
      const where = kind === "main" ? "a copilot flow only" : "a main (conversation) flow only";
      issues.push({
        file,
        line: at(["type"]),
        nodeId,
        field: "type",
        expected: `a node type of a ${kind} flow ("${type}" belongs in ${where}; ${kind} flow nodes: ${nodeTypesOf(kind).join(", ")})`,
      });
      continue;
    }
    const schema: z.ZodType = nodeRegistry[type].schema;
    const result = schema.safeParse(rawNode);
    if (!result.success) {
      const known = knownKeys(schema);
      issues.push(
        ...result.error.issues.flatMap((issue) =>
          toFlowIssues(issue, {
            file,
            nodeId,
            known,
            lineOf: at,
            has: (path) => has(["nodes", nodeId, ...path]),
          }),
        ),
      );
      continue;
    }
    const node = { ...(result.data as Omit<FlowNode, "id">), id: nodeId } as FlowNode;
    if (kind === "copilot" && node.type === "goTo" && node.wait) {
      // A copilot flow runs once per trigger from its start; there is nothing to wait for.
      issues.push({ file, line: at(["wait"]), nodeId, field: "wait", expected: "false in a copilot flow" });
      continue;
    }
    nodes.set(nodeId, node);
  }

  const declared = new Set(Object.keys(rawNodes));
  const start = isRecord(raw) ? raw.start : undefined;
  if (typeof start === "string" && declared.size > 0 && !declared.has(start)) {
    issues.push({ file, line: lineOf(["start"]), field: "start", expected: missingNode(start, declared) });
  }
  for (const node of nodes.values()) {
    for (const target of definitionOf(node).targets(node)) {
      if (declared.has(target.nodeId)) continue;
      const path = ["nodes", node.id, ...target.field.split(".")];
      issues.push({
        file,
        line: lineOf(path),
        nodeId: node.id,
        field: target.field,
        expected: missingNode(target.nodeId, declared),
      });
    }
  }
  if (!top.success || issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    flow: { id: top.data.id ?? idFromFile(file), kind, start: top.data.start, nodes, file },
  };
}

/** Like checkFlow, but throws BATON_ERR_FLOW_INVALID with `{ file, issues }` listing every problem. */
export function parseFlow(yamlText: string, options: FlowLoadOptions): Flow {
  const result = checkFlow(yamlText, options);
  if (!result.ok)
    throw new BatonError("BATON_ERR_FLOW_INVALID", { file: options.file, issues: result.issues });
  return result.flow;
}

/** `flows/demo.yaml:12  node "greet", field text: expected …` */
export function formatFlowIssue(issue: FlowIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  const node = issue.nodeId === undefined ? "" : `node "${issue.nodeId}", `;
  return `${where}  ${node}field ${issue.field}: expected ${issue.expected}`;
}

function missingNode(nodeId: string, declared: ReadonlySet<string>): string {
  return `the id of a node in this flow ("${nodeId}" is not one; nodes: ${[...declared].join(", ")})`;
}

function idFromFile(file: string): string {
  const base = (file.split(/[\\/]/).pop() ?? file).replace(/\.ya?ml$/i, "");
  const cleaned = base.replace(/[^A-Za-z0-9_-]/g, "-");
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `flow-${cleaned}`;
}

function toFlowIssues(
  issue: z.core.$ZodIssue,
  where: {
    file: string;
    nodeId?: string;
    known?: readonly string[];
    lineOf: (path: readonly (string | number)[]) => number | undefined;
    /** Whether the file has a value at the path (to tell "required" from "wrong"). */
    has: (path: readonly (string | number)[]) => boolean;
  },
): FlowIssue[] {
  const path = issue.path.map((key) => (typeof key === "symbol" ? String(key) : key));
  const base = { file: where.file, ...(where.nodeId === undefined ? {} : { nodeId: where.nodeId }) };
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const list =
        path.length === 0 && where.known !== undefined ? `; known keys: ${where.known.join(", ")}` : "";
      return {
        ...base,
        line: where.lineOf([...path, key]),
        field: joinField([...path, key]),
        expected: `no key "${key}" here${list}`,
      };
    });
  }
  const field = joinField(path) || "(flow)";
  const line = where.lineOf(path);
  if (issue.code === "invalid_key") {
    const expected = issue.issues[0]?.message ?? "a valid key";
    return [{ ...base, line, field, expected: `${expected} (the key is "${String(path.at(-1))}")` }];
  }
  return [{ ...base, line, field, expected: describeExpectation(issue, where.has(path)) }];
}

function joinField(path: readonly (string | number)[]): string {
  return path.reduce<string>((joined, key) => {
    if (typeof key === "number") return `${joined}[${key}]`;
    return joined === "" ? key : `${joined}.${key}`;
  }, "");
}

/**
 * Our schemas carry their expectation as the message; zod's defaults read "Invalid input: expected string,
 * received number", of which we keep the expectation. `present` tells a missing field from a wrong one.
 */
function describeExpectation(issue: z.core.$ZodIssue, present: boolean): string {
  const expected =
    issue.code === "invalid_type" && issue.message.startsWith("Invalid input")
      ? issue.expected
      : issue.message;
  const cleaned = expected
    .replace(/^Too small: expected (\w+) to have /, "$1 with ")
    .replace(/^Too big: expected (\w+) to have /, "$1 with ")
    .replace(/^Too small: expected (\w+) to be /, "$1 ")
    .replace(/^Too big: expected (\w+) to be /, "$1 ");
  return issue.code === "invalid_type" && !present ? `${cleaned} (required)` : cleaned;
}

function knownKeys(schema: z.ZodType): readonly string[] | undefined {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/** The line of the deepest YAML node on `path` that exists (a missing key reports its parent's line). */
function findLine(
  document: Document,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const found: unknown = document.getIn(path.slice(0, depth), true);
    if (isNode(found) && found.range) return lineCounter.linePos(found.range[0]).line;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
