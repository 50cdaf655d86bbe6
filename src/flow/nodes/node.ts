import type { z } from "zod";
import type { BatonError } from "../../errors/index.ts";
import type { ContextPath } from "../context-path.ts";
import type { ExpressionScope } from "../expressions/index.ts";
import type { FlowActionRequest, FlowKind, FlowOutput, FlowPorts } from "../node-io.ts";

/** What a node sees and can do while it runs. */
export interface NodeRuntime {
  /** The current scope; `context` reflects writes made earlier in the run. */
  readonly scope: ExpressionScope;
  /** True while a handover is open (during queue, active and inactivity events). */
  readonly handoverOpen: boolean;
  readonly ports: FlowPorts;
  output(output: FlowOutput): void;
  action(action: FlowActionRequest): void;
  setContext(path: ContextPath, value: unknown): void;
}

/** How a node hands control back to the engine. */
export type NodeOutcome =
  /** Run `next`; undefined stops the run (the flow goes idle, or keeps waiting for the open handover). */
  | { readonly kind: "continue"; readonly next: string | undefined }
  /** A question asked its prompt: the next input is its answer. */
  | { readonly kind: "waitForInput"; readonly questionNodeId: string }
  /** goTo with wait: the next input (or handover event) enters at `entrypoint`. */
  | { readonly kind: "waitAt"; readonly entrypoint: string }
  /** A handover was requested: events and the outcome enter at `entrypoint`. */
  | { readonly kind: "waitForHandover"; readonly entrypoint: string | undefined }
  | { readonly kind: "end" }
  /** The node cannot run here; the run stops with this error. */
  | { readonly kind: "fail"; readonly error: BatonError };

/** Node ids a node refers to, with the field that names each (checked at load). */
export type NodeTargets = readonly { readonly field: string; readonly nodeId: string }[];

/**
 * One node type: its YAML schema (without `id`, which is the node's key in `nodes:`), the node ids it refers
 * to, and what it does. Adding a node type is one file exporting a definition plus one line in the registry.
 *
 * @example
 * export const endNode: NodeDefinition<EndNode> = {
 *   type: "end",
 *   schema: endSchema,
 *   targets: () => [],
 *   execute: (node, runtime) => {
 *     runtime.action({ type: "end", nodeId: node.id });
 *     return { kind: "end" };
 *   },
 * };
 */
export interface NodeDefinition<N extends { readonly type: string; readonly id: string }> {
  readonly type: N["type"];
  /** The kinds of flow the node may appear in (checked at load); a missing list means main flows only. */
  readonly kinds?: readonly FlowKind[];
  readonly schema: z.ZodType<Omit<N, "id">>;
  targets(node: N): NodeTargets;
  execute(node: N, runtime: NodeRuntime): NodeOutcome | Promise<NodeOutcome>;
}

/** Logic nodes that work in main and copilot flows alike. */
export const everyFlowKind: readonly FlowKind[] = ["main", "copilot"];
/** Copilot tile nodes. */
export const copilotOnly: readonly FlowKind[] = ["copilot"];

/** `{ next: "a", onError: undefined }` → `[{ field: "next", nodeId: "a" }]`. */
export function targetsOf(fields: Readonly<Record<string, string | undefined>>): NodeTargets {
  return Object.entries(fields).flatMap(([field, nodeId]) =>
    nodeId === undefined ? [] : [{ field, nodeId }],
  );
}

/** Adds the node id to a parsed node config. */
export type WithId<T> = T & { readonly id: string };
