import { z } from "zod";
import { contextPathExpectation, parseContextPath, type ContextPath } from "../context-path.ts";
import {
  compileExpression,
  describeSyntaxError,
  evaluate,
  type CompiledExpression,
} from "../expressions/index.ts";
import { BatonError } from "../../errors/index.ts";
import { next } from "./fields.ts";
import { targetsOf, everyFlowKind, type NodeDefinition, type WithId } from "./node.ts";

interface Assignment {
  readonly path: ContextPath;
  /** A string is an expression; a number, boolean or null is taken as it is. */
  readonly value: CompiledExpression | number | boolean | null;
}

/**
 * Writes values into the session context, in the order written: `set: { context.tries: "context.tries + 1" }`.
 * Each key is a context path; each value an expression (a string) or a literal number, boolean or null.
 * Later assignments see earlier ones.
 */
export const setContextSchema = z.strictObject({
  type: z.literal("setContext"),
  set: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]), {
      error: "an object of context path: expression",
    })
    .refine((set) => Object.keys(set).length > 0, { error: "at least one assignment" })
    .transform((set, ctx): Assignment[] =>
      Object.entries(set).flatMap(([key, raw]): Assignment[] => {
        const path = parseContextPath(key);
        if (path === undefined) {
          ctx.issues.push({ code: "custom", message: contextPathExpectation, input: key, path: [key] });
          return [];
        }
        if (typeof raw !== "string") return [{ path, value: raw }];
        try {
          return [{ path, value: compileExpression(raw) }];
        } catch (error) {
          if (!(error instanceof BatonError)) throw error;
          const message = `a valid expression (${describeSyntaxError(error)})`;
          ctx.issues.push({ code: "custom", message, input: raw, path: [key] });
          return [];
        }
      }),
    ),
  next,
});

export type SetContextNode = WithId<z.output<typeof setContextSchema>>;

export const setContextNode: NodeDefinition<SetContextNode> = {
  type: "setContext",
  kinds: everyFlowKind,
  schema: setContextSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    for (const { path, value } of node.set) {
      const resolved =
        value !== null && typeof value === "object" ? evaluate(value.ast, runtime.scope) : value;
      runtime.setContext(path, resolved);
    }
    return { kind: "continue", next: node.next };
  },
};
