import { z } from "zod";
import { cleanJson } from "../utils/text-hygiene.ts";

/**
 * Every input schema from outside is wrapped in this: before validation, NUL and lone surrogates in every
 * string (keys too, recursively) become U+FFFD (src/utils/text-hygiene.ts), so what passes can be stored.
 * Done here, in the schema, so no channel can validate without it.
 */
export function hygienic<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => cleanJson(value), schema);
}

/** Ids from clients: bounded and printable, so they are safe in logs and keys, with an explicit limit rather than one that breaks somewhere downstream. */
export const clientId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, { error: "1–256 printable ASCII characters without spaces" });

const text = z.string().max(10_000, { error: "at most 10 000 characters" });
const data = z.record(z.string(), z.unknown());

/** 5 MB of file, base64-encoded (4/3 larger). */
export const maxBase64Length = Math.ceil((5 * 1024 * 1024 * 4) / 3) + 4;

export const incomingAttachment = z.strictObject({
  name: z.string().min(1).max(255),
  contentType: z.string().min(1).max(255),
  base64: z
    .string()
    .max(maxBase64Length, { error: "a file of at most 5 MB" })
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: "base64 data" }),
});

/** The REST channel's and the inject API's body: `{userId, sessionId, text?, data?}`. */
export const userInputBody = hygienic(
  z
    .strictObject({
      userId: clientId,
      sessionId: clientId,
      text: text.optional(),
      data: data.optional(),
      locale: z.string().max(35).optional(),
    })
    .refine((body) => body.text !== undefined || body.data !== undefined, {
      error: "text or data",
      path: ["text"],
    }),
);

export const notifyBody = hygienic(
  z
    .strictObject({
      userId: clientId,
      sessionId: clientId,
      text: text.optional(),
      data: data.optional(),
      quickReplies: z
        .array(z.strictObject({ title: z.string().min(1).max(200), payload: z.string().max(1000) }))
        .max(20)
        .optional(),
    })
    .refine((body) => body.text !== undefined || body.data !== undefined, {
      error: "text or data",
      path: ["text"],
    }),
);

/** The web chat's client frames (src/protocol/webchat.ts), checked before anything acts on them. */
export const webchatClientFrame = hygienic(
  z.discriminatedUnion(
    "type",
    [
      z.strictObject({
        type: z.literal("hello"),
        userId: clientId,
        sessionId: clientId,
        lastSeq: z.int().min(0).optional(),
        locale: z.string().max(35).optional(),
      }),
      z.strictObject({
        type: z.literal("message"),
        clientMessageId: clientId,
        text: text.optional(),
        data: data.optional(),
        attachments: z.array(incomingAttachment).max(5).optional(),
      }),
      z.strictObject({ type: z.literal("typing"), active: z.boolean() }),
      z.strictObject({ type: z.literal("cancelHandover") }),
    ],
    { error: "a frame with type hello, message, typing or cancelHandover" },
  ),
);

/** The first issue of a failed parse as `field` + `expected` (what a catalog error carries). */
export function describeIssue(error: z.ZodError): { field: string; expected: string } {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join(".") || "(body)";
  const expected = (issue?.message ?? "a valid value")
    .replace(/^Invalid input: expected /, "")
    .replace(/, received \w+$/, "");
  return { field, expected };
}
