/** One 8x8 API call as the simulator handled it (the JWK endpoint and the control API are not logged). */
export type ApiRequest = {
  at: string;
  method: string;
  /** The path without the query string, e.g. `/chat-gateway/v1/conversations/abc/messages`. */
  path: string;
  /** The status answered, or, for `lost-response`, the status the call would have answered. */
  status: number;
  /**
   * `answered` = the answer was sent; `fault-error` = `errorRate` answered `errorStatus` before any side
   * effect; `lost-response` = the call was carried out and its connection then reset without an answer.
   */
  outcome: "answered" | "fault-error" | "lost-response";
};

export type RequestLog = {
  record(entry: Omit<ApiRequest, "at">): void;
  entries(): ApiRequest[];
};

const LOG_LIMIT = 5_000;

/** The last 5000 8x8 API calls, oldest first: what tests count injected faults by. */
export function createRequestLog(): RequestLog {
  const entries: ApiRequest[] = [];
  return {
    record(entry) {
      entries.push({ at: new Date().toISOString(), ...entry });
      if (entries.length > LOG_LIMIT) entries.splice(0, entries.length - LOG_LIMIT);
    },
    entries: () => entries.map((entry) => ({ ...entry })),
  };
}
