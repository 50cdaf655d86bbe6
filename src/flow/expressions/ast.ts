/**
 * The expression language's syntax tree. Produced by `parseExpression`, read by `evaluate`; plain data, so a
 * loaded flow holds its expressions already parsed and a run never re-parses.
 */

/** Where the value of a path starts: the only names an expression can see. */
export type PathRoot = "input" | "context" | "session";

/** The built-in functions; each takes exactly one argument. */
export type FunctionName = "exists" | "lower" | "upper" | "len" | "number" | "string";

export type BinaryOperator = "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "contains" | "matches" | "in";

/** One step of a path: a name known when parsing (`.name`, `["name"]`, `[0]`) or computed (`[expr]`). */
export type PathSegment =
  | { readonly kind: "key"; readonly key: string | number }
  | { readonly kind: "computed"; readonly expression: Expression };

export type Expression =
  | { readonly kind: "literal"; readonly value: string | number | boolean | null; readonly position: number }
  /** Only as the right operand of `matches`; compiled (and checked) when parsed. */
  | { readonly kind: "regex"; readonly pattern: string; readonly flags: string; readonly position: number }
  | {
      readonly kind: "path";
      readonly root: PathRoot;
      readonly segments: readonly PathSegment[];
      readonly position: number;
    }
  | {
      readonly kind: "unary";
      readonly operator: "!" | "-";
      readonly operand: Expression;
      readonly position: number;
    }
  | {
      readonly kind: "binary";
      readonly operator: BinaryOperator;
      readonly left: Expression;
      readonly right: Expression;
      readonly position: number;
    }
  | {
      readonly kind: "logical";
      readonly operator: "&&" | "||";
      readonly left: Expression;
      readonly right: Expression;
      readonly position: number;
    }
  | {
      readonly kind: "call";
      readonly name: FunctionName;
      readonly argument: Expression;
      readonly position: number;
    };

/** An expression as a flow holds it: the text it came from, and its tree. */
export interface CompiledExpression {
  readonly source: string;
  readonly ast: Expression;
}
