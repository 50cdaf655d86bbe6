import { BatonError } from "../../errors/index.ts";

/**
 * A parse failure: `position` is the 0-based offset in the expression (or template) text, `expected` says
 * what would have been accepted there and `found` what was there instead. The text itself is not copied
 * into the error.
 */
export function expressionSyntaxError(position: number, expected: string, found: string): BatonError {
  return new BatonError("BATON_ERR_FLOW_EXPRESSION_INVALID", { position, expected, found });
}

/** "at character 7: expected ')' but found end of expression" — for flow load issues and logs. */
export function describeSyntaxError(error: BatonError, offset = 0): string {
  const { position, expected, found } = error.details as {
    position: number;
    expected: string;
    found: string;
  };
  return `at character ${position + offset + 1}: expected ${expected} but found ${found}`;
}
