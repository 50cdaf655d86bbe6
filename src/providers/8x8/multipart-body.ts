import { randomBytes } from "node:crypto";

/** A text field or a file field of a multipart/form-data body. */
export type MultipartPart =
  | { readonly name: string; readonly value: string }
  | {
      readonly name: string;
      readonly fileName: string;
      readonly contentType: string;
      readonly bytes: Uint8Array;
    };

/**
 * Encodes multipart/form-data (RFC 7578) into one Buffer. Built by hand rather than with FormData so the body is
 * plain bytes: it can be re-sent unchanged on a retry, and its Content-Length is known up front.
 */
export function encodeMultipart(
  parts: readonly MultipartPart[],
  boundary = `----baton-${randomBytes(12).toString("hex")}`,
): { readonly bytes: Buffer; readonly contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${partHeaders(part)}\r\n`, "utf8"));
    chunks.push("bytes" in part ? Buffer.from(part.bytes) : Buffer.from(part.value, "utf8"));
    chunks.push(Buffer.from("\r\n", "utf8"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, "utf8"));
  return { bytes: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function partHeaders(part: MultipartPart): string {
  const name = quote(part.name);
  if (!("bytes" in part)) return `Content-Disposition: form-data; name="${name}"\r\n`;
  return (
    `Content-Disposition: form-data; name="${name}"; filename="${quote(part.fileName)}"\r\n` +
    `Content-Type: ${part.contentType.replace(/[\r\n]/g, "")}\r\n`
  );
}

/** The WHATWG form encoding's escaping of names and file names (what browsers and undici's FormData send). */
function quote(value: string): string {
  return value.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/**
 * The file name of a `Content-Disposition` header (RFC 6266): `filename*=UTF-8''…` wins over `filename="…"`.
 * Path components are stripped: the name comes from a remote party and must not steer a local write.
 */
export function fileNameFromContentDisposition(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const extended = /filename\*\s*=\s*([\w!#$%&+^`{}~.-]+)'[^']*'([^;\s]+)/i.exec(header);
  const extendedName = extended ? decodeExtendedValue(extended[1] ?? "", extended[2] ?? "") : undefined;
  const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
  const plainName = plain ? (plain[1]?.replace(/\\(.)/g, "$1") ?? plain[2]) : undefined;
  return baseName(extendedName ?? plainName);
}

function decodeExtendedValue(charset: string, encoded: string): string | undefined {
  try {
    if (charset.toLowerCase() === "utf-8") return decodeURIComponent(encoded);
    // RFC 8187 allows ISO-8859-1 too: each %XX is one Latin-1 byte.
    const bytes = encoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
    return Buffer.from(bytes, "latin1").toString("latin1");
  } catch {
    return undefined;
  }
}

function baseName(name: string | undefined): string | undefined {
  const last = name?.split(/[\\/]/).pop()?.trim();
  return last === undefined || last === "" ? undefined : last;
}
