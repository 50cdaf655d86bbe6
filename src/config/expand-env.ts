/** One unset `${VAR}` found while expanding, with where it was. */
export interface MissingVariable {
  readonly path: string;
  readonly variable: string;
}

const reference = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML document; `$$` is a literal `$`.
 * Expansion happens after parsing, on string values only, so a variable's content can never change the
 * document's structure (no YAML injection through the environment).
 */
export function expandEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  missing: MissingVariable[],
  path = "",
): unknown {
  if (typeof value === "string") return expandString(value, env, missing, path);
  if (Array.isArray(value)) return value.map((item, i) => expandEnv(item, env, missing, joinPath(path, i)));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandEnv(item, env, missing, joinPath(path, key))]),
    );
  }
  return value;
}

function expandString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  missing: MissingVariable[],
  path: string,
): string {
  return text.replace(reference, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === "$$") return "$";
    const found = env[name!];
    if (found !== undefined && found !== "") return found;
    if (fallback !== undefined) return fallback;
    if (found === undefined) missing.push({ path, variable: name! });
    return "";
  });
}

export function joinPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}
