import { request } from "undici";
import type { Faults, Simulator, WebhookAttempt } from "../../simulator/src/index.ts";

/** The fault settings through the control API, as an operator sets them (`PUT /sim/faults`). */
export async function putFaults(
  simulatorUrl: string,
  patch: Partial<Faults> & Record<string, unknown>,
): Promise<{ ok: true } | { ok: false; status: number; body: string }> {
  return putControl(simulatorUrl, "/sim/faults", patch);
}

/** The simulator's webhook retry budget (`PUT /sim/webhook-retry`); not ok on a simulator without it. */
export async function putWebhookRetry(
  simulatorUrl: string,
  retry: { maxAttempts: number; baseDelayMs: number },
): Promise<{ ok: true } | { ok: false; status: number; body: string }> {
  return putControl(simulatorUrl, "/sim/webhook-retry", retry);
}

async function putControl(
  simulatorUrl: string,
  path: string,
  body: unknown,
): Promise<{ ok: true } | { ok: false; status: number; body: string }> {
  const response = await request(`${simulatorUrl}${path}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.body.text();
  return response.statusCode === 200 ? { ok: true } : { ok: false, status: response.statusCode, body: text };
}

/** A conversation's messages at the simulator (8x8's side), oldest first, with the time each was stored. */
export async function simulatorMessages(
  simulatorUrl: string,
  conversationId: string,
): Promise<{ text: string | undefined; createdAt: string; authorType: string }[]> {
  const response = await request(`${simulatorUrl}/sim/conversations/${conversationId}/messages`);
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new Error(`messages of ${conversationId}: ${response.statusCode} ${text}`);
  }
  const body = JSON.parse(text) as {
    messages: { text?: string; createdAt: string; author: { type: string } }[];
  };
  return body.messages.map((m) => ({ text: m.text, createdAt: m.createdAt, authorType: m.author.type }));
}

/**
 * Follows one of the simulator's bounded logs (it keeps the last 5000 rows) by reading it often enough that
 * nothing falls out between two reads, handing each new row to `onRow` once.
 */
function followLog<Row>(
  read: () => readonly Row[],
  identity: (row: Row) => string,
  onRow: (row: Row) => void,
) {
  let last: string | undefined;
  let missed = 0;
  return {
    get missed() {
      return missed;
    },
    poll(): void {
      const rows = read();
      let start = 0;
      if (last !== undefined) {
        const index = rows.findLastIndex((row) => identity(row) === last);
        if (index === -1 && rows.length > 0) missed += 1;
        start = index + 1;
      }
      for (const row of rows.slice(start)) onRow(row);
      if (rows.length > 0) last = identity(rows.at(-1)!);
    },
  };
}

export interface SimulatorWatch {
  /** Webhook attempts by outcome (`delivered`, `failed`, `dropped`, `gave-up`, …). */
  readonly webhookOutcomes: Record<string, number>;
  /** Every event the simulator gave up on, with when. */
  readonly gaveUp: readonly { conversationId: string | undefined; eventType: string; at: number }[];
  /** 8x8 API calls by outcome and status (`answered 202`, `fault-error 503`, `lost-response 202`, …); empty
   * on a simulator without a request log. */
  readonly apiCalls: Record<string, number>;
  /** Times a log was read too late (rows had fallen out of it): the totals are then lower bounds. */
  readonly overflows: number;
  /** Gave-up events in [from, to). */
  gaveUpBetween(from: number, to?: number): number;
  /** Reads the logs once now (a poll also runs by itself every 250 ms). */
  poll(): void;
  stop(): void;
}

interface ApiRequestRow {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly outcome: string;
}

/**
 * Running totals of the in-process simulator's webhook log and, when it has one, its 8x8 request log: how
 * often it retried, dropped and gave up on webhooks (the proof that an outage outlasted the retry budget),
 * and how many API calls it failed or left without an answer.
 */
export function watchSimulator(simulator: Simulator): SimulatorWatch {
  const webhookOutcomes: Record<string, number> = {};
  const gaveUp: { conversationId: string | undefined; eventType: string; at: number }[] = [];
  const apiCalls: Record<string, number> = {};
  const webhooks = followLog<WebhookAttempt>(
    () => simulator.webhookLog(),
    (a) => `${a.eid}|${a.retry}|${a.outcome}|${a.at}|${a.duplicate === true}`,
    (attempt) => {
      webhookOutcomes[attempt.outcome] = (webhookOutcomes[attempt.outcome] ?? 0) + 1;
      if (attempt.outcome === "gave-up") {
        gaveUp.push({
          conversationId: attempt.conversationId,
          eventType: attempt.eventType,
          at: Date.parse(attempt.at),
        });
      }
    },
  );
  // The request log is newer than the webhook log; an older simulator simply has none.
  const readRequests = (simulator as Partial<{ requestLog(): ApiRequestRow[] }>).requestLog;
  const requests = followLog<ApiRequestRow>(
    () => readRequests?.call(simulator) ?? [],
    (r) => `${r.at}|${r.method}|${r.path}|${r.status}|${r.outcome}`,
    (row) => {
      const key = `${row.outcome} ${row.status}`;
      apiCalls[key] = (apiCalls[key] ?? 0) + 1;
    },
  );
  const poll = () => {
    webhooks.poll();
    requests.poll();
  };
  const timer = setInterval(poll, 250);
  return {
    webhookOutcomes,
    gaveUp,
    apiCalls,
    get overflows() {
      return webhooks.missed + requests.missed;
    },
    gaveUpBetween(from, to = Infinity) {
      poll();
      return gaveUp.filter((g) => g.at >= from && g.at < to).length;
    },
    poll,
    stop: () => clearInterval(timer),
  };
}
