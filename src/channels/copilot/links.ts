import { randomBytes } from "node:crypto";
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import type { EndpointRuntime } from "../../conversation/types.ts";
import type { Store, StoredSession } from "../../store/types.ts";

/** The `aud` of every Copilot link token. */
export const copilotAudience = "baton-copilot";
export const copilotIssuer = "baton";
/** A signing key signs new links for this long; then a new key is made (old ones still verify). */
export const keyRotationMs = 24 * 60 * 60 * 1000;

export interface CopilotLinkOptions {
  /** `copilot.link.ttlMinutes`: how long a link opens the workspace. */
  readonly ttlMinutes: number;
}

/**
 * Copilot links and their tokens. Every link carries one: the URL token and the session's ids are known to
 * the end user (the web chat page holds them), so they identify the workspace but never open it; the token
 * is what only the agent's link has. A token is a JWT (HS256) with `sub` = Baton's session key,
 * `aud` = "baton-copilot", `iss` = "baton", `iat`, `exp` = iat + ttlMinutes, and the signing key's `kid` in
 * its header. Keys are 256 random bits kept in the store (`copilot_link_keys`), so every instance verifies
 * every link and restarts do not invalidate them. Rotation: a key signs for 24 hours, then a new key is made;
 * an old key verifies until the last token it signed has expired (24 h + ttl after its creation), then it is
 * deleted.
 *
 * @example
 * const links = createCopilotLinks(store, { ttlMinutes: 480 }, clock);
 * const url = await links.linkFor(() => "https://baton.example.com", session, endpoint);
 */
export function createCopilotLinks(
  store: Store,
  options: CopilotLinkOptions,
  clock: () => number = Date.now,
) {
  const ttlMs = options.ttlMinutes * 60 * 1000;

  async function signingKey(): Promise<{ kid: string; key: Uint8Array }> {
    const now = clock();
    const newest = await store.copilotLinkKeys.newest();
    if (newest !== undefined && now - newest.createdAt.getTime() < keyRotationMs) {
      return { kid: newest.kid, key: Buffer.from(newest.secret, "base64url") };
    }
    const kid = randomBytes(8).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    await store.copilotLinkKeys.add(kid, secret, new Date(now));
    await store.copilotLinkKeys.deleteCreatedBefore(new Date(now - keyRotationMs - ttlMs));
    // Two instances rotating at once both add a key; each signs with its own, and both verify.
    return { kid, key: Buffer.from(secret, "base64url") };
  }

  async function sign(sessionKey: string): Promise<string> {
    const { kid, key } = await signingKey();
    const iat = Math.floor(clock() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid, typ: "JWT" })
      .setSubject(sessionKey)
      .setAudience(copilotAudience)
      .setIssuer(copilotIssuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + Math.floor(ttlMs / 1000))
      .sign(key);
  }

  return {
    /** `{publicUrl}/copilot/?userId=…&sessionId=…&URLToken=…&auth=…`. */
    async linkFor(publicUrl: string, session: StoredSession, endpoint: EndpointRuntime): Promise<string> {
      const query = new URLSearchParams({
        userId: session.userId,
        sessionId: session.sessionId,
        URLToken: endpoint.urlToken,
        auth: await sign(session.id),
      });
      return `${publicUrl}/copilot/?${query.toString()}`;
    },

    /** Whether `token` is a valid, unexpired link token for `sessionKey` (never throws). */
    async verify(token: string, sessionKey: string): Promise<boolean> {
      try {
        const { kid } = decodeProtectedHeader(token);
        if (typeof kid !== "string") return false;
        const stored = await store.copilotLinkKeys.get(kid);
        if (stored === undefined) return false;
        // A key past its verification life is refused even if the cleanup has not removed it yet.
        if (clock() - stored.createdAt.getTime() > keyRotationMs + ttlMs) return false;
        const { payload } = await jwtVerify(token, Buffer.from(stored.secret, "base64url"), {
          algorithms: ["HS256"],
          audience: copilotAudience,
          issuer: copilotIssuer,
          subject: sessionKey,
          currentDate: new Date(clock()),
        });
        return payload.exp !== undefined;
      } catch {
        return false;
      }
    },
  };
}

export type CopilotLinks = ReturnType<typeof createCopilotLinks>;
