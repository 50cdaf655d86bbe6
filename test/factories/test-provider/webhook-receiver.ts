import { BatonError, isBatonError } from "../../../src/errors/index.ts";
import type { ProviderDeps } from "../../../src/providers/definition.ts";
import type {
  ProviderEvent,
  ProviderEventHandler,
  WebhookRequest,
  WebhookResponse,
} from "../../../src/providers/port.ts";
import { attemptHeader, signatureHeader, signatureMatches, type WireEvent } from "./wire.ts";

export interface TestWebhookReceiverOptions {
  readonly providerId: string;
  readonly secret: string;
  readonly deps: ProviderDeps;
  readonly onEvent: ProviderEventHandler;
  /** Handler attempts per event; an event can overtake the answer to the create call it belongs to. */
  readonly handlerAttempts?: number;
}

/**
 * Receives the contact center's deliveries: checks the HMAC over the raw body, records the event id in the
 * store (so a redelivery is answered `duplicate` and handed on never), answers at once and hands the event on
 * behind the earlier events of its conversation.
 */
export function createTestWebhookReceiver(options: TestWebhookReceiverOptions) {
  const { providerId, deps } = options;
  const logger = deps.logger.child({ component: "test-provider-webhook", providerId });
  const attempts = options.handlerAttempts ?? 8;
  /** The last hand-on of each conversation; the next one waits for it. */
  const chains = new Map<string, Promise<void>>();
  let stopping = false;

  async function handle(request: WebhookRequest): Promise<WebhookResponse> {
    if (stopping) throw new BatonError("BATON_ERR_SERVER_SHUTTING_DOWN");
    if (request.headers[signatureHeader] === undefined) {
      throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_MISSING", { field: signatureHeader });
    }
    if (!signatureMatches(options.secret, request.rawBody, request.headers[signatureHeader])) {
      throw new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_INVALID", { field: signatureHeader });
    }
    const wire = parse(request.rawBody);
    let recorded;
    try {
      recorded = await deps.store.webhookEvents.recordIfNew({
        providerId,
        eventId: wire.eventId,
        eventType: wire.kind,
        conversationId: wire.conversationId,
        eventTimestamp: wire.occurredAt,
        retry: Math.max(0, (Number.parseInt(request.headers[attemptHeader] ?? "", 10) || 1) - 1),
        body: request.rawBody.toString("utf8"),
      });
    } catch (error) {
      // Not stored means not acknowledged: the contact center delivers it again.
      if (isBatonError(error)) throw error;
      throw new BatonError("BATON_ERR_STORE_UNAVAILABLE", { during: "webhook record" }, { cause: error });
    }
    if (!recorded.inserted) return { status: 200, outcome: "duplicate", eventType: wire.kind };
    schedule({ ...wire, providerId });
    return { status: 200, outcome: "accepted", eventType: wire.kind };
  }

  function schedule(event: ProviderEvent): void {
    const previous = chains.get(event.conversationId) ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(() => handOn(event))
      .finally(() => {
        if (chains.get(event.conversationId) === next) chains.delete(event.conversationId);
      });
    chains.set(event.conversationId, next);
  }

  async function handOn(event: ProviderEvent): Promise<void> {
    let handled = false;
    let failure: unknown;
    for (let attempt = 1; attempt <= attempts && !handled; attempt += 1) {
      try {
        await options.onEvent(event);
        handled = true;
      } catch (error) {
        failure = error;
        if (stopping) break;
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
      }
    }
    if (!handled)
      logger.error({ err: failure, eventId: event.eventId }, "test provider event handler failed");
    // Handed on already: a lost mark only leaves the stored event pending.
    await deps.store.webhookEvents
      .markDone(
        providerId,
        event.eventId,
        handled ? "processed" : "failed",
        handled ? undefined : String(failure),
      )
      .catch((error: unknown) => logger.error({ err: error, eventId: event.eventId }, "mark failed"));
  }

  return {
    handle,
    /** Later requests get 503; resolves when every scheduled event has been handed on (or failed). */
    async stop(): Promise<void> {
      stopping = true;
      await Promise.all(chains.values());
    },
  };
}

function parse(rawBody: Buffer): WireEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    body = undefined;
  }
  const event = body as Partial<Record<"eventId" | "conversationId" | "kind" | "occurredAt", unknown>>;
  if (
    typeof event?.eventId !== "string" ||
    typeof event.conversationId !== "string" ||
    typeof event.kind !== "string" ||
    typeof event.occurredAt !== "number"
  ) {
    throw new BatonError("BATON_ERR_WEBHOOK_BODY_INVALID", {
      expected: "a JSON event with eventId, conversationId, kind and occurredAt",
    });
  }
  return body as WireEvent;
}
