/**
 * Counts refused Copilot sockets per remote address in a sliding window; after `max` refusals within
 * `windowMs` the address is refused outright until the window moves on. In-process (per instance): a
 * distributed attacker spread over instances gets `max` × instances tries a minute, still nothing against
 * 256-bit tokens; the point is to stop a scanner hammering one instance.
 */
export function createFailureLimiter(options: { max: number; windowMs: number; clock?: () => number }) {
  const clock = options.clock ?? Date.now;
  const failures = new Map<string, number[]>();

  function recent(address: string): number[] {
    const since = clock() - options.windowMs;
    const kept = (failures.get(address) ?? []).filter((at) => at > since);
    if (kept.length === 0) failures.delete(address);
    else failures.set(address, kept);
    return kept;
  }

  return {
    blocked: (address: string) => recent(address).length >= options.max,
    fail(address: string): void {
      recent(address);
      failures.set(address, [...(failures.get(address) ?? []), clock()]);
      // Bounded memory under a scan from many addresses: forget the oldest address.
      if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
    },
  };
}
