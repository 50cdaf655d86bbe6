import { z } from "zod";
import { BatonError } from "../../errors/index.ts";
import { evaluate, isTruthy } from "../expressions/index.ts";
import {
  contentFields,
  contentRequired,
  contextPath,
  expression,
  next,
  renderContent,
  template,
} from "./fields.ts";
import { targetsOf, type NodeDefinition, type NodeOutcome, type NodeRuntime, type WithId } from "./node.ts";

/**
 * Asks (its prompt goes to the user) and waits: the next input is the answer. The answer is `input.text`
 * (or `input.data` when the input has no text), saved at `save`. With `validate`, an answer for which the
 * expression is false is not saved: `retryText` (or the prompt again) is said and the question keeps waiting.
 */
export const questionSchema = z
  .strictObject({
    type: z.literal("question"),
    ...contentFields,
    save: contextPath,
    validate: expression.optional(),
    retryText: template.optional(),
    next,
  })
  .refine(contentRequired.check, { error: contentRequired.error, path: ["text"] });

export type QuestionNode = WithId<z.output<typeof questionSchema>>;

export const questionNode: NodeDefinition<QuestionNode> = {
  type: "question",
  schema: questionSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    if (runtime.handoverOpen) {
      // User input goes to the agent while a handover is open, so the question could never be answered.
      const error = new BatonError("BATON_ERR_FLOW_NODE_NOT_ALLOWED", { nodeId: node.id, field: "type" });
      return { kind: "fail", error };
    }
    const prompt = renderContent(node, "user", runtime.scope);
    if (prompt !== undefined) runtime.output(prompt);
    return { kind: "waitForInput", questionNodeId: node.id };
  },
};

/** Handles the input that answers `node` (the engine calls it instead of `execute`). */
export function answerQuestion(node: QuestionNode, runtime: NodeRuntime): NodeOutcome {
  if (node.validate !== undefined && !isTruthy(evaluate(node.validate.ast, runtime.scope))) {
    const retry =
      node.retryText === undefined
        ? renderContent(node, "user", runtime.scope)
        : renderContent({ text: node.retryText, quickReplies: node.quickReplies }, "user", runtime.scope);
    if (retry !== undefined) runtime.output(retry);
    return { kind: "waitForInput", questionNodeId: node.id };
  }
  const { text, data } = runtime.scope.input;
  runtime.setContext(node.save, text ?? data ?? null);
  return { kind: "continue", next: node.next };
}
