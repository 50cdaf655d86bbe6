/** One part of a `multipart/form-data` body. */
export type FormPart = { name: string; filename?: string; contentType?: string; data: Buffer };

/**
 * A minimal `multipart/form-data` parser (RFC 7578) for attachment upload: enough for the two parts 8x8
 * declares (`attachment`, `authorType`). Returns undefined when the body is not well-formed multipart.
 */
export function parseMultipart(contentTypeHeader: string | undefined, body: Buffer): FormPart[] | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentTypeHeader ?? "");
  const boundaryText = boundary?.[1] ?? boundary?.[2];
  if (!contentTypeHeader?.toLowerCase().startsWith("multipart/form-data") || boundaryText === undefined) {
    return undefined;
  }
  const delimiter = Buffer.from(`--${boundaryText}`);
  const parts: FormPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) return undefined;
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === "--") return parts;
    const headerStart = position + 2; // skip the CRLF after the delimiter
    const headerEnd = body.indexOf("\r\n\r\n", headerStart);
    if (headerEnd < 0) return undefined;
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) return undefined;
    const part = toPart(
      body.subarray(headerStart, headerEnd).toString("utf8"),
      body.subarray(headerEnd + 4, next),
    );
    if (part !== undefined) parts.push(part);
    position = next + 2;
  }
}

function toPart(headerText: string, data: Buffer): FormPart | undefined {
  const headers = new Map<string, string>();
  for (const line of headerText.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get("content-disposition") ?? "";
  const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
  if (name === undefined) return undefined;
  const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
  const contentType = headers.get("content-type");
  return {
    name,
    data: Buffer.from(data),
    ...(filename === undefined ? {} : { filename }),
    ...(contentType === undefined ? {} : { contentType }),
  };
}
