import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { crc32 } from "node:zlib";
import type { ReceivedRequest } from "./webhook-receiver.ts";

/**
 * An independent verifier written from 8x8's "Validating Webhook Events" page, sharing no code with the
 * simulator: rebuild the detached payload from the headers and the raw body, fetch the JWK by kid, check
 * RS256.
 */
export async function verifySignature(
  baseUrl: string,
  raw: Buffer,
  headers: ReceivedRequest["headers"],
): Promise<boolean> {
  const header = (name: string) => {
    const value = headers[name];
    if (typeof value !== "string") throw new Error(`missing header ${name}`);
    return value;
  };
  const [protectedB64 = "", middle, signatureB64 = ""] = header("x-8x8-signature").split(".");
  if (middle !== "") return false;
  const jose = JSON.parse(Buffer.from(protectedB64, "base64url").toString("utf8")) as {
    alg: string;
    kid: string;
    b64: boolean;
    crit: string[];
  };
  if (jose.alg !== "RS256" || jose.b64 !== false || !jose.crit.includes("b64")) return false;
  const payload = JSON.stringify({
    checksum: crc32(raw) >>> 0,
    cid: header("x-8x8-customer-id"),
    eid: header("x-8x8-event-id"),
    retry: Number(header("x-8x8-retry")),
    tid: header("x-8x8-tenant-id"),
    tt: Number(header("x-8x8-transmission-time")),
  });
  const jwkResponse = await fetch(`${baseUrl}/chat-gateway/v1/jwk/${jose.kid}/public`);
  if (jwkResponse.status !== 200) return false;
  const key = createPublicKey({ key: (await jwkResponse.json()) as JsonWebKey, format: "jwk" });
  return verify(
    "RSA-SHA256",
    Buffer.from(`${protectedB64}.${payload}`, "utf8"),
    key,
    Buffer.from(signatureB64, "base64url"),
  );
}
