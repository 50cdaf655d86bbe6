/**
 * Compiled patterns for `matches`, shared by every run. Regex literals are compiled (and checked) when a
 * flow loads; patterns computed at run time are compiled here once and kept in a small LRU.
 *
 * ReDoS: the patterns are written by the flow author, but the text they run on comes from users. JavaScript
 * regexes backtrack, so a careless pattern can take exponential time on a crafted input; capping the input
 * length bounds the damage for the usual cases. Inputs longer than `maxMatchInputLength` never match.
 */
export const maxMatchInputLength = 2_000;
const maxComputedPatternLength = 500;
const capacity = 200;

const cache = new Map<string, RegExp | null>();

/** The compiled pattern, or null when it does not compile (or is too long), which makes `matches` false. */
export function compiledPattern(pattern: string, flags: string): RegExp | null {
  const key = `${flags}/${pattern}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    // Re-insert to mark it most recently used.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const compiled = compile(pattern, flags);
  cache.set(key, compiled);
  if (cache.size > capacity) cache.delete(cache.keys().next().value!);
  return compiled;
}

function compile(pattern: string, flags: string): RegExp | null {
  if (pattern.length > maxComputedPatternLength || /[gy]/.test(flags)) return null;
  try {
    return new RegExp(pattern, flags);
  } catch {
    return null;
  }
}

export function testPattern(pattern: RegExp | null, input: string): boolean {
  if (pattern === null || input.length > maxMatchInputLength) return false;
  return pattern.test(input);
}
