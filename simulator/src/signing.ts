import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";

const generateRsaKeyPair = promisify(generateKeyPair);

export type PublicJwk = { kty: "RSA"; e: string; n: string; kid: string };

type SigningKey = { kid: string; privateKey: KeyObject; jwk: PublicJwk };

/** Every key the store holds, private halves as PKCS#8 PEM: what the state file keeps across restarts. */
export type SavedKeys = { current: string; keys: Array<{ kid: string; privateKeyPem: string }> };

/** The values a signature covers besides the body: they travel as `x-8x8-*` headers. */
export type SignatureInput = {
  body: Buffer;
  customerId: string;
  eventId: string;
  retry: number;
  tenantId: string;
  transmissionTime: number;
};

/**
 * RSA-2048 signing keys with random kids. Rotation adds a key and makes it current; old public keys stay
 * served so events signed just before a rotation (or retried after it) still verify.
 */
export type KeyStore = {
  currentKid(): string;
  publicJwk(kid: string): PublicJwk | undefined;
  rotate(): Promise<string>;
  sign(input: SignatureInput): string;
  save(): SavedKeys;
};

/**
 * A fresh store with one new key, or the keys of an earlier run (`saved`), so events signed before a restart,
 * and receivers that cached the public keys, still verify.
 */
export async function createKeyStore(saved?: SavedKeys): Promise<KeyStore> {
  const keys = new Map<string, SigningKey>();
  for (const { kid, privateKeyPem } of saved?.keys ?? []) keys.set(kid, loadSigningKey(kid, privateKeyPem));
  let current = saved === undefined ? await newSigningKey() : savedCurrent(keys, saved.current);
  keys.set(current.kid, current);

  return {
    currentKid: () => current.kid,
    publicJwk: (kid) => keys.get(kid)?.jwk,
    async rotate() {
      const next = await newSigningKey();
      keys.set(next.kid, next);
      current = next;
      return next.kid;
    },
    sign: (input) => signDetached(current, input),
    save: () => ({
      current: current.kid,
      keys: [...keys.values()].map(({ kid, privateKey }) => ({
        kid,
        privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      })),
    }),
  };
}

function savedCurrent(keys: ReadonlyMap<string, SigningKey>, kid: string): SigningKey {
  const key = keys.get(kid);
  if (key === undefined) throw new Error(`the current key ${kid} is not among the saved keys`);
  return key;
}

function loadSigningKey(kid: string, privateKeyPem: string): SigningKey {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== "rsa") throw new Error(`key ${kid} is not an RSA key`);
  return { kid, privateKey, jwk: publicJwkOf(kid, createPublicKey(privateKey)) };
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsaKeyPair("rsa", { modulusLength: 2048 });
  const kid = randomBytes(16).toString("base64url");
  return { kid, privateKey, jwk: publicJwkOf(kid, publicKey) };
}

function publicJwkOf(kid: string, publicKey: KeyObject): PublicJwk {
  const exported: JsonWebKey = publicKey.export({ format: "jwk" });
  if (typeof exported.n !== "string" || typeof exported.e !== "string") {
    throw new Error("RSA public key export did not produce n and e");
  }
  return { kty: "RSA", e: exported.e, n: exported.n, kid };
}

/**
 * The detached payload, rebuilt by receivers from headers and body. Key order matters (it is what gets
 * signed) and is fixed here by the object literal: checksum, cid, eid, retry, tid, tt. The checksum is the
 * unsigned CRC-32 of the exact body bytes (`>>> 0` keeps it unsigned whatever the CRC helper returns).
 */
export function signaturePayload(input: SignatureInput): string {
  return JSON.stringify({
    checksum: crc32(input.body) >>> 0,
    cid: input.customerId,
    eid: input.eventId,
    retry: input.retry,
    tid: input.tenantId,
    tt: input.transmissionTime,
  });
}

/**
 * JWS with an unencoded, detached payload (RFC 7797, `b64:false`): the signing input is the base64url
 * protected header, a dot, and the payload JSON as-is; the compact form leaves the middle part empty.
 */
function signDetached(key: SigningKey, input: SignatureInput): string {
  const header = JSON.stringify({ alg: "RS256", kid: key.kid, b64: false, crit: ["b64"] });
  const encodedHeader = Buffer.from(header, "utf8").toString("base64url");
  const signingInput = Buffer.from(`${encodedHeader}.${signaturePayload(input)}`, "utf8");
  const signature = sign("RSA-SHA256", signingInput, key.privateKey);
  return `${encodedHeader}..${signature.toString("base64url")}`;
}
