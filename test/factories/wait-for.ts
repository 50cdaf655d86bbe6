/**
 * Polls `predicate` until it returns something other than `undefined` / `false` and resolves with that value;
 * rejects after `timeoutMs` naming `what`. For waiting on asynchronous deliveries without fixed sleeps.
 *
 * @example
 * const joined = await waitFor(() => events.find((e) => e.kind === "participant.joined"), 5_000);
 */
export async function waitFor<T>(
  predicate: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  what = "a condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
