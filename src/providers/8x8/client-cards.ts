import { apiV1Path, type ChatGatewayOperation, type ClientContext } from "./client-context.ts";
import { checkCardAction } from "./input-validation.ts";
import type { CallOptions } from "./transport.ts";
import type { CardActionInput } from "./wire-types.ts";

/**
 * The two card action endpoints (action-submit, action-execute). They live under
 * `/api/v1/tenant/{tenantId}/…`, outside `/chat-gateway/v1`, and take the tenant in the path; whether
 * api.8x8.com serves that prefix publicly is not documented (the spec declares no other server), so they are
 * sent to the same base URL as the rest.
 */
export interface CardsApi {
  /** Sets the card's `actionSubmitted` flag and notifies (204). */
  actionSubmit(input: CardActionInput, options?: CallOptions): Promise<void>;
  /** Sets the card's `actionExecuted` flag and notifies (204). */
  actionExecute(input: CardActionInput, options?: CallOptions): Promise<void>;
}

export function createCardsApi({ transport, tenant }: ClientContext): CardsApi {
  async function sendAction(
    operation: ChatGatewayOperation,
    action: "action-submit" | "action-execute",
    input: CardActionInput,
    options: CallOptions | undefined,
  ): Promise<void> {
    const tenantId = input.tenantId ?? tenant;
    checkCardAction(input, tenantId);
    const path = apiV1Path(
      "tenant",
      tenantId,
      "conversations",
      input.conversationId,
      "cards",
      input.cardId,
      action,
    );
    await transport.send({ operation, method: "PUT", target: { path }, json: { name: input.name } }, options);
  }

  return {
    actionSubmit: (input, options) => sendAction("cards.actionSubmit", "action-submit", input, options),
    actionExecute: (input, options) => sendAction("cards.actionExecute", "action-execute", input, options),
  };
}
