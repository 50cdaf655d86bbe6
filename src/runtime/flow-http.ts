import { request } from "undici";
import type { FlowHttpRequest, FlowHttpResponse } from "../flow/types.ts";

/** The flow engine's HTTP port (httpRequest nodes): undici, one call, its own timeout. */
export async function flowHttp(call: FlowHttpRequest): Promise<FlowHttpResponse> {
  const response = await request(call.url, {
    method: call.method,
    headers: call.headers,
    ...(call.body !== undefined ? { body: call.body } : {}),
    headersTimeout: call.timeoutMs,
    bodyTimeout: call.timeoutMs,
    signal: AbortSignal.timeout(call.timeoutMs),
  });
  const text = await response.body.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const isJson = (headers["content-type"] ?? "").includes("json");
  let body: unknown = text;
  if (isJson) {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = text;
    }
  }
  return { status: response.statusCode, headers, body };
}
