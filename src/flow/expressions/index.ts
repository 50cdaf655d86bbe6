export type { CompiledExpression, Expression, FunctionName, PathRoot } from "./ast.ts";
export { parseExpression, forbiddenKeys } from "./parser.ts";
export { evaluate, type ExpressionScope } from "./evaluate.ts";
export {
  compileExpression,
  parseTemplate,
  renderTemplate,
  renderTemplateValue,
  type CompiledTemplate,
} from "./template.ts";
export { describeSyntaxError } from "./syntax-error.ts";
export { checkRegex } from "./tokenizer.ts";
export { isTruthy, toText, type Value } from "./values.ts";
export { maxMatchInputLength } from "./regex-cache.ts";
