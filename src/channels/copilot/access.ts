import { z } from "zod";
import { findEndpointByToken } from "../../conversation/endpoint-directory.ts";
import type { EndpointRuntime } from "../../conversation/types.ts";
import { BatonError } from "../../errors/index.ts";
import { clientId } from "../input-schemas.ts";
import type { Store, StoredSession } from "../../store/types.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { CopilotLinks } from "./links.ts";
import { createFailureLimiter } from "./rate-limit.ts";

export interface CopilotAccessDeps {
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  readonly store: Pick<Store, "sessions">;
  readonly links: Pick<CopilotLinks, "verify">;
  readonly logger: Logger;
  /** Refused links per address and minute before 4429 / 429 (default 20). */
  readonly maxFailuresPerMinute?: number;
  readonly clock?: () => number;
}

// The same rule as every channel's ids: a link naming an id no channel could have created (a NUL, a space)
// is refused like any other bad link, before the store is asked.
const accessQuery = z.object({
  userId: clientId,
  sessionId: clientId,
  URLToken: z.string().max(128),
  auth: z.string().min(1).max(4096),
});

/**
 * The one check of a Copilot link (`?userId=&sessionId=&URLToken=&auth=`), shared by the page and the socket
 * so both refuse the same links and count refusals together. The URL token must be an endpoint's (constant
 * time), the session must exist on that endpoint, the endpoint must have a copilot flow, and `auth` must be a
 * valid, unexpired token signed for that session. The first three are known to the end user (the web chat
 * page carries the token, the user knows their own ids), so only `auth` makes the link the agent's.
 *
 * Every refusal is the same BATON_ERR_COPILOT_ACCESS_DENIED, so nothing tells which part was wrong; after
 * too many refusals from one address its further bad links get BATON_ERR_COPILOT_RATE_LIMITED until the
 * minute moves on. Valid links are never refused by the limit.
 */
export function createCopilotAccess(deps: CopilotAccessDeps) {
  const limiter = createFailureLimiter({
    max: deps.maxFailuresPerMinute ?? 20,
    windowMs: 60_000,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  });

  async function sessionFor(query: unknown): Promise<StoredSession | undefined> {
    const parsed = accessQuery.safeParse(query);
    if (!parsed.success) return undefined;
    const { userId, sessionId, URLToken, auth } = parsed.data;
    const endpoint = findEndpointByToken(deps.endpoints, URLToken);
    // The lookup runs for an unknown token too, so its time does not tell a valid token from a wrong one.
    const session = await deps.store.sessions.find({ endpointId: endpoint?.id ?? "", userId, sessionId });
    if (endpoint === undefined || session === undefined || endpoint.copilotFlow === undefined)
      return undefined;
    return (await deps.links.verify(auth, session.id)) ? session : undefined;
  }

  return {
    /**
     * The session the link opens. Throws BatonError COPILOT_RATE_LIMITED or COPILOT_ACCESS_DENIED; any other
     * error (the store is down) is not a refusal and is not counted.
     */
    async open(query: unknown, address: string): Promise<StoredSession> {
      // The credential first: a valid link opens however many refusals its address had, so one client's
      // bad links (or a scanner behind the agents' proxy) never lock out an agent.
      const session = await sessionFor(query);
      if (session === undefined) {
        if (limiter.blocked(address)) throw new BatonError("BATON_ERR_COPILOT_RATE_LIMITED");
        limiter.fail(address);
        deps.logger.info({ address }, "copilot link refused");
        throw new BatonError("BATON_ERR_COPILOT_ACCESS_DENIED");
      }
      return session;
    },
  };
}

export type CopilotAccess = ReturnType<typeof createCopilotAccess>;
