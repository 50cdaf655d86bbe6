import type { z } from "zod";
import { BatonError } from "../errors/index.ts";

/**
 * Parses a payload an earlier process stored (an outbox item's, maybe written by an older version). A
 * malformed one fails for good with BATON_ERR_RUNTIME_PAYLOAD_INVALID naming the first wrong field: retrying
 * cannot mend it, and acting on it could send nonsense.
 *
 * @example
 * const { handoverId } = parseStoredPayload(z.object({ handoverId: z.string() }), "handover.create", item.payload);
 */
export function parseStoredPayload<S extends z.ZodType>(
  schema: S,
  kind: string,
  payload: unknown,
): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BatonError("BATON_ERR_RUNTIME_PAYLOAD_INVALID", {
    kind,
    field: issue?.path.join(".") ?? "",
    expected: issue?.message ?? "a valid payload",
  });
}
