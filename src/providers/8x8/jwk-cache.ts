import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { BatonError, isBatonError } from "../../errors/index.ts";
import { isChatGatewayError } from "./gateway-error.ts";

/**
 * Fetches the public JWK that 8x8 publishes for a signature `kid`. The provider wires it to the Chat Gateway
 * client (`GET {baseUrl}/chat-gateway/v1/jwk/{kid}/public`, or the configured `jwkUrl` template: the code
 * samples on 8x8's "Validating Webhook Events" page use the legacy v2 path instead). It must reject (not
 * resolve) on any failure; a rejection with a `ChatGatewayError` whose HTTP status says the key does
 * not exist (see {@link keyNotFoundStatuses}) marks the kid as unknown rather than the key endpoint as down.
 */
export type FetchJwk = (kid: string) => Promise<JsonWebKey>;

/**
 * Answers of the key endpoint that mean "no such key". Every kid arrives unverified, so a forger picks them
 * at will: such a request is refused like any other bad signature (401), not with a 503 that asks for
 * retries. 401, 403 and 429 are not in the list: they say something about us (a wrong `jwkUrl`, a quota),
 * not about the kid, and stay "key unavailable".
 */
export const keyNotFoundStatuses: ReadonlySet<number> = new Set([400, 404, 410]);

export interface JwkCacheOptions {
  readonly fetchJwk: FetchJwk;
  /**
   * Minimum time between two fetches of a kid that is already cached. A failed signature check with a cached
   * key triggers one refetch (the key may have rotated under the same kid), but a flood of forged signatures
   * must not turn into a flood of requests to 8x8. Default 30 000 ms.
   */
  readonly refetchIntervalMs?: number;
  /**
   * How long a kid the key endpoint called unknown is refused without asking again. Short, because 8x8 may
   * publish a new kid moments after we first saw it. Default 30 000 ms.
   */
  readonly unknownKidTtlMs?: number;
  /**
   * Cap on key fetches (all kids together) per `fetchWindowMs`. Kids are chosen by whoever sends the request,
   * so without a cap each forged request with a fresh kid would be one outbound call. Cached keys are used
   * without a fetch, so genuine events with a known kid keep working while the cap is reached. Default 10.
   */
  readonly maxFetchesPerWindow?: number;
  /** The sliding window of `maxFetchesPerWindow`; default 60 000 ms. */
  readonly fetchWindowMs?: number;
  /** Epoch milliseconds; injectable for tests. */
  readonly clock?: () => number;
  /** How many kids are kept (known and unknown, each); the least recently fetched is evicted first. Default 64. */
  readonly maxKeys?: number;
}

export interface JwkCache {
  /**
   * The key for `kid`, fetched on first use and cached. Concurrent calls for one kid share one fetch.
   * @throws BatonError BATON_ERR_WEBHOOK_SIGNATURE_INVALID (401) when the key endpoint says the kid does not
   *   exist (remembered for `unknownKidTtlMs`) or the fetch cap is reached; BATON_ERR_WEBHOOK_KEY_UNAVAILABLE
   *   (503) when the endpoint cannot be reached, answers 5xx or returns no usable RSA key (not cached).
   */
  get(kid: string): Promise<KeyObject>;
  /**
   * Refetches `kid` after a signature did not verify with the cached key (key rotation).
   * @returns the freshly fetched key, or `undefined` when the kid was fetched less than
   *   `refetchIntervalMs` ago or the fetch cap is reached (the caller then treats the signature as invalid).
   * @throws BatonError as `get`; on KEY_UNAVAILABLE the old key stays cached, on an unknown kid it is dropped.
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
const signatureHeader = "x-8x8-signature";

/**
 * @example
 * const keys = createJwkCache({ fetchJwk: (kid) => client.getJwk(kid) });
 * const key = await keys.get("key1");
 */
export function createJwkCache(options: JwkCacheOptions): JwkCache {
  const refetchIntervalMs = options.refetchIntervalMs ?? 30_000;
  const unknownKidTtlMs = options.unknownKidTtlMs ?? 30_000;
  const maxFetches = options.maxFetchesPerWindow ?? 10;
  const fetchWindowMs = options.fetchWindowMs ?? 60_000;
  const clock = options.clock ?? Date.now;
  const maxKeys = options.maxKeys ?? 64;
  const cached = new Map<string, CachedKey>();
  /** Unknown kid → until when it is refused without a fetch. */
  const unknown = new Map<string, number>();
  const inFlight = new Map<string, Promise<KeyObject>>();
  /** Start times of the fetches inside the current window, oldest first. */
  const fetchStarts: number[] = [];

  function unknownKid(kid: string, reason: string): BatonError {
    return new BatonError("BATON_ERR_WEBHOOK_SIGNATURE_INVALID", { field: signatureHeader, kid, reason });
  }

  /** Takes one fetch from the window's budget; false when it is spent. */
  function takeFetchBudget(now: number): boolean {
    while (fetchStarts.length > 0 && now - fetchStarts[0]! >= fetchWindowMs) fetchStarts.shift();
    if (fetchStarts.length >= maxFetches) return false;
    fetchStarts.push(now);
    return true;
  }

  function isKnownUnknown(kid: string, now: number): boolean {
    const until = unknown.get(kid);
    if (until === undefined) return false;
    if (now < until) return true;
    unknown.delete(kid);
    return false;
  }

  /** One fetch per kid at a time; only a successful, usable key is stored (a failure leaves no trace). */
  function load(kid: string): Promise<KeyObject> {
    const running = inFlight.get(kid);
    if (running) return running;
    const startedAt = clock();
    if (!takeFetchBudget(startedAt)) {
      return Promise.reject(unknownKid(kid, fetchLimitReason));
    }
    const loading = fetchUsableKey(options.fetchJwk, kid)
      .then(
        (key) => {
          unknown.delete(kid);
          remember(cached, kid, { key, lastAttemptAt: startedAt });
          return key;
        },
        (error: unknown) => {
          if (!isKeyNotFound(error)) throw error;
          // The endpoint says the kid does not exist: a key cached under it is withdrawn too.
          cached.delete(kid);
          remember(unknown, kid, clock() + unknownKidTtlMs);
          throw unknownKid(kid, "the key endpoint does not know this kid");
        },
      )
      .finally(() => inFlight.delete(kid));
    inFlight.set(kid, loading);
    return loading;
  }

  function remember<V>(map: Map<string, V>, kid: string, value: V): void {
    map.delete(kid);
    map.set(kid, value);
    if (map.size > maxKeys) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }

  function get(kid: string): Promise<KeyObject> {
    const entry = cached.get(kid);
    if (entry) return Promise.resolve(entry.key);
    if (isKnownUnknown(kid, clock())) {
      return Promise.reject(
        unknownKid(kid, "the key endpoint recently answered that this kid does not exist"),
      );
    }
    return load(kid);
  }

  return {
    get,

    async refresh(kid) {
      // A refetch already running (started by a concurrent failed check) is the one this caller would do.
      const running = inFlight.get(kid);
      if (running) return running;
      const entry = cached.get(kid);
      if (!entry) return get(kid);
      const now = clock();
      if (now - entry.lastAttemptAt < refetchIntervalMs) return undefined;
      // Counted before the fetch so that a failing refetch is rate-limited too.
      entry.lastAttemptAt = now;
      try {
        return await load(kid);
      } catch (error) {
        // The cap is spent: the cached key is still the best we have and did not verify.
        if (isBatonError(error) && error.details.reason === fetchLimitReason) return undefined;
        throw error;
      }
    },
  };
}

const fetchLimitReason = "key fetch limit reached; the kid is not cached";

/** Whether a rejected fetch is the key endpoint's own answer that the kid does not exist. */
function isKeyNotFound(error: unknown): boolean {
  const cause =
    isBatonError(error) && error.code === "BATON_ERR_WEBHOOK_KEY_UNAVAILABLE" ? error.cause : error;
  return (
    isChatGatewayError(cause) && cause.httpStatus !== undefined && keyNotFoundStatuses.has(cause.httpStatus)
  );
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
