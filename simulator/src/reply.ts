/**
 * What a route handler answers. Handlers build a `Reply` and never touch the response object, so the
 * server alone decides about latency faults, headers and errors.
 */
export type Reply = {
  status: number;
  contentType?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
};

export const HAL_JSON = "application/hal+json";
export const PROBLEM_JSON = "application/problem+json";
export const PLAIN_JSON = "application/json";

export function jsonReply(status: number, value: unknown, contentType: string = PLAIN_JSON): Reply {
  return { status, contentType, body: JSON.stringify(value) };
}

/** Successful 8x8 JSON responses are HAL (`application/hal+json`). */
export function halReply(status: number, value: unknown): Reply {
  return jsonReply(status, value, HAL_JSON);
}

export function emptyReply(status: number): Reply {
  return { status };
}
