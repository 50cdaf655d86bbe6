import { invalidControlInput } from "./errors.ts";

/**
 * Injected failures. Rates are fractions in [0, 1]; each decision draws from the simulator's random
 * source, and only when the rate is above 0, so a test that sets one rate controls exactly which draws
 * happen.
 */
export type Faults = {
  /** Fraction of 8x8 API calls answered with `errorStatus` before any side effect. */
  errorRate: number;
  errorStatus: number;
  /** Delay added to every 8x8 API response. */
  latencyMs: number;
  /** Fraction of events delivered a second time (same event id and body, `x-8x8-retry: 0`). */
  duplicateRate: number;
  /** Fraction of events held back so the next event of the same conversation overtakes them. */
  reorderRate: number;
  /** Fraction of delivery attempts never sent; they count as failed and are retried. */
  dropRate: number;
  /**
   * Fraction of 8x8 API calls carried out with all their side effects whose answer is then never sent: the
   * connection is reset, so the caller cannot tell whether the call happened (an ambiguous failure).
   */
  lostResponseRate: number;
};

export const DEFAULT_FAULTS: Faults = Object.freeze({
  errorRate: 0,
  errorStatus: 503,
  latencyMs: 0,
  duplicateRate: 0,
  reorderRate: 0,
  dropRate: 0,
  lostResponseRate: 0,
});

const RATE_KEYS = ["errorRate", "duplicateRate", "reorderRate", "dropRate", "lostResponseRate"] as const;
const MAX_LATENCY_MS = 60_000;

export type FaultState = {
  get(): Faults;
  set(patch: Partial<Faults>): Faults;
  reset(): Faults;
  /** True with probability `rate`; draws nothing when the rate is 0. */
  roll(rate: number): boolean;
  random(): number;
};

export function createFaultState(random: () => number): FaultState {
  let faults: Faults = { ...DEFAULT_FAULTS };
  return {
    get: () => ({ ...faults }),
    set(patch) {
      faults = { ...faults, ...parseFaultPatch(patch) };
      return { ...faults };
    },
    reset() {
      faults = { ...DEFAULT_FAULTS };
      return { ...faults };
    },
    roll: (rate) => rate > 0 && random() < rate,
    random,
  };
}

/** Validates a partial fault update (control API body or `setFaults`); throws a 400 ControlError. */
export function parseFaultPatch(input: unknown): Partial<Faults> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw invalidControlInput("body", "a JSON object with fault settings");
  }
  const patch: Partial<Faults> = {};
  for (const [key, value] of Object.entries(input)) {
    if (isRateKey(key)) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
        throw invalidControlInput(key, "a number between 0 and 1");
      }
      patch[key] = value;
    } else if (key === "errorStatus") {
      if (!Number.isInteger(value) || (value as number) < 400 || (value as number) > 599) {
        throw invalidControlInput(key, "an integer HTTP status between 400 and 599");
      }
      patch.errorStatus = value as number;
    } else if (key === "latencyMs") {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_LATENCY_MS) {
        throw invalidControlInput(key, `an integer number of milliseconds between 0 and ${MAX_LATENCY_MS}`);
      }
      patch.latencyMs = value as number;
    } else {
      throw invalidControlInput(key, `one of ${[...RATE_KEYS, "errorStatus", "latencyMs"].join(", ")}`);
    }
  }
  return patch;
}

function isRateKey(key: string): key is (typeof RATE_KEYS)[number] {
  return (RATE_KEYS as readonly string[]).includes(key);
}
