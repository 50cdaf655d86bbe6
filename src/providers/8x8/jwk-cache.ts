import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { BatonError } from "../../errors/index.ts";

/**
 * Fetches the public JWK that 8x8 publishes for a signature `kid`. The provider wires it to the Chat Gateway
 * client (`GET {baseUrl}/chat-gateway/v1/jwk/{kid}/public`, or the configured `jwkUrl` template: the code
 * samples on 8x8's "Validating Webhook Events" page use the legacy v2 path instead). It must reject (not
 * resolve) on any failure.
 */
export type FetchJwk = (kid: string) => Promise<JsonWebKey>;

export interface JwkCacheOptions {
  readonly fetchJwk: FetchJwk;
  /**
   * Minimum time between two fetches of a kid that is already cached. A failed signature check with a cached
   * key triggers one refetch (the key may have rotated under the same kid), but a flood of forged signatures
   * must not turn into a flood of requests to 8x8. Default 30 000 ms.
   */
  readonly refetchIntervalMs?: number;
  /** Epoch milliseconds; injectable for tests. */
  readonly clock?: () => number;
  /** How many kids are kept; the least recently fetched is evicted first. Default 64. */
  readonly maxKeys?: number;
}

export interface JwkCache {
  /**
   * The key for `kid`, fetched on first use and cached. Concurrent calls for one kid share one fetch.
   * @throws BatonError BATON_ERR_WEBHOOK_KEY_UNAVAILABLE when the fetch fails or returns no usable RSA key;
   *   the failure is not cached, so the next call fetches again.
   */
  get(kid: string): Promise<KeyObject>;
  /**
   * Refetches `kid` after a signature did not verify with the cached key (key rotation).
   * @returns the freshly fetched key, or `undefined` when the kid was fetched less than
   *   `refetchIntervalMs` ago (the caller then treats the signature as invalid).
   * @throws BatonError BATON_ERR_WEBHOOK_KEY_UNAVAILABLE when the refetch fails; the old key stays cached.
   */
  refresh(kid: string): Promise<KeyObject | undefined>;
}

interface CachedKey {
  readonly key: KeyObject;
  /** When the last fetch of this kid was started (successful or not): the refetch rate limit. */
  lastAttemptAt: number;
}

/** RS256 with less than 2048 bits is not a key 8x8 would publish (their sample signature is 256 bytes). */
const minModulusBits = 2048;

/**
 * @example
 * const keys = createJwkCache({ fetchJwk: (kid) => client.getJwk(kid) });
 * const key = await keys.get("key1");
 */
export function createJwkCache(options: JwkCacheOptions): JwkCache {
  const refetchIntervalMs = options.refetchIntervalMs ?? 30_000;
  const clock = options.clock ?? Date.now;
  const maxKeys = options.maxKeys ?? 64;
  const cached = new Map<string, CachedKey>();
  const inFlight = new Map<string, Promise<KeyObject>>();

  /** One fetch per kid at a time; only a successful, usable key is stored (a failure leaves no trace). */
  function load(kid: string): Promise<KeyObject> {
    const running = inFlight.get(kid);
    if (running) return running;
    const startedAt = clock();
    const loading = fetchUsableKey(options.fetchJwk, kid)
      .then((key) => {
        store(kid, { key, lastAttemptAt: startedAt });
        return key;
      })
      .finally(() => inFlight.delete(kid));
    inFlight.set(kid, loading);
    return loading;
  }

  function store(kid: string, entry: CachedKey): void {
    cached.delete(kid);
    cached.set(kid, entry);
    if (cached.size > maxKeys) {
      const oldest = cached.keys().next();
      if (!oldest.done) cached.delete(oldest.value);
    }
  }

  return {
    get(kid) {
      const entry = cached.get(kid);
      return entry ? Promise.resolve(entry.key) : load(kid);
    },

    async refresh(kid) {
      // A refetch already running (started by a concurrent failed check) is the one this caller would do.
      const running = inFlight.get(kid);
      if (running) return running;
      const entry = cached.get(kid);
      if (!entry) return load(kid);
      if (clock() - entry.lastAttemptAt < refetchIntervalMs) return undefined;
      // Counted before the fetch so that a failing refetch is rate-limited too.
      entry.lastAttemptAt = clock();
      return load(kid);
    },
  };
}

async function fetchUsableKey(fetchJwk: FetchJwk, kid: string): Promise<KeyObject> {
  let jwk: JsonWebKey;
  try {
    jwk = await fetchJwk(kid);
  } catch (error) {
    throw new BatonError("BATON_ERR_WEBHOOK_KEY_UNAVAILABLE", { kid }, { cause: error });
  }
  return importRsaVerificationKey(jwk, kid);
}

/**
 * Only RSA signature keys are accepted: the signature header says RS256 and we never let a fetched key of
 * another type (or an EC/oct key an attacker-chosen kid might resolve to) decide what "valid" means.
 */
export function importRsaVerificationKey(jwk: JsonWebKey, kid: string): KeyObject {
  const unusable = (reason: string): BatonError =>
    new BatonError("BATON_ERR_WEBHOOK_KEY_UNAVAILABLE", { kid, reason });
  if (typeof jwk !== "object" || jwk === null) throw unusable("the JWK is not an object");
  if (jwk.kty !== "RSA") throw unusable("the JWK is not an RSA key");
  if (jwk.use !== undefined && jwk.use !== "sig") throw unusable("the JWK is not a signature key");
  if (jwk.alg !== undefined && jwk.alg !== "RS256") throw unusable("the JWK is not an RS256 key");
  let key: KeyObject;
  try {
    // Only the public members are used, even if a private JWK were served by mistake.
    key = createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
  } catch (error) {
    throw new BatonError(
      "BATON_ERR_WEBHOOK_KEY_UNAVAILABLE",
      { kid, reason: "the JWK is not a valid RSA public key" },
      { cause: error },
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== "rsa" || bits < minModulusBits) throw unusable("the RSA key is too short");
  return key;
}
