/**
 * The security headers of Baton's two pages (the web chat and the Copilot workspace), as @fastify/helmet
 * route options: a CSP that starts from nothing and allows exactly what the page names, and framing by
 * `frame-ancestors` only (X-Frame-Options cannot name other origins, and browsers prefer frame-ancestors).
 */
export interface PagePolicy {
  /** Extra sources besides 'self' for scripts and styles (the Copilot's srcdoc tiles need 'unsafe-inline'). */
  readonly inline?: boolean;
  /** Image sources besides 'self', data: and https:. */
  readonly imageOrigins?: readonly string[];
  /** Frame sources; none means 'none'. */
  readonly frameOrigins?: readonly string[];
  /** Who may embed the page. */
  readonly frameAncestors: readonly string[];
}

export function pageHelmet(policy: PagePolicy) {
  const code = policy.inline === true ? ["'self'", "'unsafe-inline'"] : ["'self'"];
  const frames = policy.frameOrigins ?? [];
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: code,
        styleSrc: code,
        connectSrc: ["'self'"],
        imgSrc: ["'self'", "data:", "https:", ...(policy.imageOrigins ?? [])],
        ...(policy.frameOrigins === undefined
          ? {}
          : { frameSrc: frames.length === 0 ? ["'none'"] : [...frames] }),
        formAction: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        frameAncestors: [...policy.frameAncestors],
      },
    },
    xFrameOptions: false,
  } as const;
}
