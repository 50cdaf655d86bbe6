import { BatonError } from "../../errors/index.ts";
import { readJson, type ClientContext } from "./client-context.ts";
import { checkId } from "./input-validation.ts";
import type { CallOptions } from "./transport.ts";
import { publicJwkSchema } from "./wire-schemas.ts";
import type { PublicJwk } from "./wire-types.ts";

/**
 * The spec's key endpoint. 8x8's validation page samples fetch the legacy `/vcc/us/chat/v2/jwk/{kid}/public`
 * instead (copied from the v2 docs); which store signs v1 events is unconfirmed, hence a configurable URL.
 */
export const defaultJwkUrlTemplate = "{baseUrl}/chat-gateway/v1/jwk/{kid}/public";

/** Fills `{baseUrl}` (without trailing slash) and `{kid}` (URL-encoded) into a JWK URL template. */
export function buildJwkUrl(template: string, baseUrl: string, kid: string): string {
  return template
    .replaceAll("{baseUrl}", baseUrl.replace(/\/+$/, ""))
    .replaceAll("{kid}", encodeURIComponent(kid));
}

/** `GET …/jwk/{kid}/public`, the one Chat Gateway operation that declares no security. */
export interface JwkApi {
  /**
   * The RSA public JWK that verifies webhook signatures with this `kid`. Sent WITHOUT `x-api-key`: the endpoint
   * declares no security, and the key must not travel to a URL that a template may point elsewhere.
   */
  getPublicJwk(kid: string, options?: CallOptions): Promise<PublicJwk>;
}

export function createJwkApi({ transport }: ClientContext, jwkUrl: (kid: string) => string): JwkApi {
  async function getPublicJwk(kid: string, options?: CallOptions): Promise<PublicJwk> {
    checkId(kid, "kid");
    // encodeURIComponent leaves `.` alone, and a `.` or `..` segment would be resolved away by the URL
    // parser, fetching another path of the key host. The webhook verifier refuses such kids already.
    if (kid === "." || kid === "..") {
      throw new BatonError("BATON_ERR_8X8_INPUT_INVALID", {
        field: "kid",
        expected: "a kid other than . or ..",
      });
    }
    const response = await transport.send(
      { operation: "jwk.get", method: "GET", target: { url: jwkUrl(kid) }, withApiKey: false },
      options,
    );
    return readJson(response, publicJwkSchema, "jwk.get");
  }
  return { getPublicJwk };
}
