import { request } from "undici";
import { attemptHeader, sign, signatureHeader, type WireEvent } from "./wire.ts";

/** One POST of one event to the gateway, as the contact center logged it. */
export interface DeliveryRecord {
  readonly eventId: string;
  readonly conversationId: string;
  readonly kind: WireEvent["kind"];
  readonly attempt: number;
  /** A deliberate second delivery of an event already answered 2xx. */
  readonly duplicate: boolean;
  /** The gateway's HTTP status, or `network` when the request failed. */
  readonly status: number | "network";
}

export interface EventDeliveryOptions {
  readonly secret: string;
  /** Attempts per event before it is given up; default 5. */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled each time; default 20 ms. */
  readonly retryDelayMs?: number;
}

interface Pending {
  readonly event: WireEvent;
  readonly done: () => void;
}

/**
 * Signed webhook delivery, one event at a time in the order the events happened, so the gateway sees each
 * conversation's events in order without having to sort them. A failed attempt is retried (a gateway that
 * answers 503 while starting gets the event later) and holds back the events behind it.
 */
export function createEventDelivery(options: EventDeliveryOptions) {
  const attempts = options.attempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 20;
  const queue: Pending[] = [];
  const log: DeliveryRecord[] = [];
  let target: string | undefined;
  let duplicates = false;
  let pumping: Promise<void> | undefined;
  let closed = false;

  async function post(event: WireEvent, body: Buffer, attempt: number, duplicate: boolean) {
    let status: DeliveryRecord["status"];
    try {
      const response = await request(target!, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [signatureHeader]: sign(options.secret, body),
          [attemptHeader]: String(attempt),
        },
        body,
      });
      await response.body.dump();
      status = response.statusCode;
    } catch {
      status = "network";
    }
    const { eventId, conversationId, kind } = event;
    log.push({ eventId, conversationId, kind, attempt, duplicate, status });
    return typeof status === "number" && status >= 200 && status < 300;
  }

  async function deliver(event: WireEvent): Promise<void> {
    const body = Buffer.from(JSON.stringify(event));
    for (let attempt = 1; attempt <= attempts && !closed; attempt += 1) {
      if (await post(event, body, attempt, false)) {
        if (duplicates) await post(event, body, attempt, true);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
    }
  }

  async function pump(): Promise<void> {
    while (!closed && queue.length > 0) {
      const next = queue.shift()!;
      await deliver(next.event);
      next.done();
    }
  }

  function kick(): void {
    if (pumping !== undefined || target === undefined || closed || queue.length === 0) return;
    // An event queued while the pump was finishing would otherwise wait for the next one.
    pumping = pump().finally(() => {
      pumping = undefined;
      kick();
    });
  }

  return {
    /** Where events go from now on (the gateway's webhook URL for this provider); starts delivering. */
    connect(url: string): void {
      target = url;
      kick();
    },
    /** Queues an event; resolves once the gateway answered it 2xx or its attempts ran out. */
    send(event: WireEvent): Promise<void> {
      return new Promise<void>((done) => {
        queue.push({ event, done });
        kick();
      });
    },
    /** From now on every accepted event is delivered a second time, byte for byte (false stops it). */
    duplicateDeliveries(enabled: boolean): void {
      duplicates = enabled;
    },
    log: (): readonly DeliveryRecord[] => [...log],
    /** Resolves when nothing is queued or in flight. */
    settled: async (): Promise<void> => {
      while (pumping !== undefined) await pumping;
    },
    /** Stops after the attempt in flight; queued events are dropped (their `send` resolves). */
    async close(): Promise<void> {
      closed = true;
      await pumping;
      for (const pending of queue.splice(0)) pending.done();
    },
  };
}

export type EventDelivery = ReturnType<typeof createEventDelivery>;
