import { timingSafeEqual } from "node:crypto";
import type { EndpointRuntime } from "./types.ts";

/**
 * Finds an endpoint by its URL token. Every configured token is compared, each in constant time, so the
 * time an answer takes says nothing about how close a guess was.
 */
export function findEndpointByToken(
  endpoints: ReadonlyMap<string, EndpointRuntime>,
  token: string,
): EndpointRuntime | undefined {
  const candidate = Buffer.from(token.padEnd(64, "\0").slice(0, 64), "utf8");
  let found: EndpointRuntime | undefined;
  for (const endpoint of endpoints.values()) {
    const expected = Buffer.from(endpoint.urlToken, "utf8");
    if (expected.length === candidate.length && timingSafeEqual(expected, candidate) && token.length === 64) {
      found = endpoint;
    }
  }
  return found;
}
