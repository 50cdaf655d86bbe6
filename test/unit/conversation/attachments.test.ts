import { describe, expect, it } from "vitest";
import { fromProviderAttachment, toDataUrlAttachment } from "../../../src/conversation/types.ts";

describe("message attachments", () => {
  it("keeps a user's file as a data: URL with its decoded size (padding not counted)", () => {
    for (const bytes of [Buffer.from("a"), Buffer.from("ab"), Buffer.from("abc"), Buffer.alloc(0)]) {
      const file = toDataUrlAttachment({
        name: "f.bin",
        contentType: "text/plain",
        base64: bytes.toString("base64"),
      });
      expect(file).toEqual({
        name: "f.bin",
        contentType: "text/plain",
        url: `data:text/plain;base64,${bytes.toString("base64")}`,
        size: bytes.length,
      });
    }
  });

  it("gives an agent's file a MIME type from its name when it agrees with the provider's kind, else none", () => {
    const url = "https://files.example/x?sig=1";
    expect(fromProviderAttachment({ fileName: "Photo.JPG", url, kind: "image" })).toEqual({
      name: "Photo.JPG",
      url,
      contentType: "image/jpeg",
    });
    expect(fromProviderAttachment({ fileName: "invoice.pdf", url, kind: "file" }).contentType).toBe(
      "application/pdf",
    );
    expect(fromProviderAttachment({ fileName: "notes.txt", url, kind: "file" }).contentType).toBe(
      "text/plain",
    );
    expect(fromProviderAttachment({ fileName: "clip.mp4", url, kind: "video" }).contentType).toBe(
      "video/mp4",
    );
    // Never the kind itself ("image" is not a MIME type), and never a type the kind contradicts.
    expect(fromProviderAttachment({ fileName: "scan", url, kind: "image" })).toEqual({ name: "scan", url });
    expect(fromProviderAttachment({ fileName: "x.png", url, kind: "file" })).toEqual({ name: "x.png", url });
    expect(fromProviderAttachment({ fileName: "x.exe", url, kind: "file" })).toEqual({ name: "x.exe", url });
  });
});
