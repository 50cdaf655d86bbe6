import type { OutgoingMessageFrame } from "./chat-state.ts";

/** The largest file the page sends (before base64, which adds a third on the wire). */
export const maxAttachmentBytes = 5 * 1024 * 1024;

export type OutgoingAttachment = NonNullable<OutgoingMessageFrame["attachments"]>[number];

export type ReadResult =
  | { readonly ok: true; readonly attachment: OutgoingAttachment }
  | { readonly ok: false; readonly reason: "tooLarge" | "unreadable" };

/** Reads a picked file as base64 for a `message` frame, refusing files over the limit before reading them. */
export async function readAttachment(file: File): Promise<ReadResult> {
  if (file.size > maxAttachmentBytes) return { ok: false, reason: "tooLarge" };
  try {
    const base64 = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
    return {
      ok: true,
      attachment: { name: file.name, contentType: file.type || "application/octet-stream", base64 },
    };
  } catch {
    return { ok: false, reason: "unreadable" };
  }
}

/** Base64 in chunks: String.fromCharCode(...bytes) on a 5 MB array would exceed the argument limit. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}
