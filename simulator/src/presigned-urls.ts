import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Time-limited download links for attachments in MESSAGE events (8x8's `preSignedUrl`). They
 * need no API key, like 8x8's, so they carry an HMAC over the attachment and the expiry instead.
 */
export type PresignedUrls = {
  create(baseUrl: string, conversationId: string, attachmentId: string): string;
  isValid(
    conversationId: string,
    attachmentId: string,
    expires: string | null,
    signature: string | null,
  ): boolean;
  /** The HMAC key, kept in the state file so links sent before a restart stay valid for their hour. */
  secret(): Buffer;
};

const LIFETIME_MS = 60 * 60 * 1000;

export function createPresignedUrls(savedSecret?: Buffer): PresignedUrls {
  const secret = savedSecret ?? randomBytes(32);
  const sign = (conversationId: string, attachmentId: string, expires: string) =>
    createHmac("sha256", secret).update(`${conversationId}/${attachmentId}/${expires}`).digest("base64url");
  return {
    create(baseUrl, conversationId, attachmentId) {
      const expires = String(Date.now() + LIFETIME_MS);
      const signature = sign(conversationId, attachmentId, expires);
      const path = `/sim/files/${encodeURIComponent(conversationId)}/${encodeURIComponent(attachmentId)}`;
      return `${baseUrl}${path}?expires=${expires}&sig=${signature}`;
    },
    isValid(conversationId, attachmentId, expires, signature) {
      if (expires === null || signature === null || Number(expires) < Date.now()) return false;
      const expected = Buffer.from(sign(conversationId, attachmentId, expires));
      const actual = Buffer.from(signature);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
    secret: () => Buffer.from(secret),
  };
}
