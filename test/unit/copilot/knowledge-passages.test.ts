import { describe, expect, it } from "vitest";
import { splitIntoPassages } from "../../../src/copilot/knowledge/index.ts";

describe("knowledge passages", () => {
  it("takes the first heading as the title and splits at headings and blank lines", () => {
    const text = [
      "---",
      "owner: support",
      "---",
      "# Returns and refunds",
      "",
      "You can send back any item within **30 days** of delivery, without giving a reason. Items must be unused and in their packaging.",
      "",
      "## How to return an item",
      "",
      "To return an item:",
      "",
      "1. Open your order in [your account](https://shop.example/account).",
      "2. Print the free `return label`",
      "- Drop the parcel at a post office",
      "",
      "Refunds",
      "-------",
      "We refund within 5 working days after the parcel arrives at our warehouse, to the original payment method you used.",
      "",
      "```",
      "# not a heading inside a code fence",
      "```",
    ].join("\n");
    const passages = splitIntoPassages({ source: "help/returns.md", text });
    expect(passages).toEqual([
      {
        title: "Returns and refunds",
        heading: "",
        source: "help/returns.md",
        text: "You can send back any item within 30 days of delivery, without giving a reason. Items must be unused and in their packaging.",
      },
      {
        title: "Returns and refunds",
        heading: "How to return an item",
        source: "help/returns.md",
        text: "To return an item: Open your order in your account. Print the free return label. Drop the parcel at a post office.",
      },
      {
        title: "Returns and refunds",
        heading: "Refunds",
        source: "help/returns.md",
        text: "We refund within 5 working days after the parcel arrives at our warehouse, to the original payment method you used. # not a heading inside a code fence",
      },
    ]);
  });

  it("titles a file without a heading, and every text file, by its file name", () => {
    const text = "Opening hours are 8 to 20 on working days.\n\nOn Saturdays we are open from 9 to 16.";
    const fromText = splitIntoPassages({
      source: "faq/opening-hours.txt",
      text: "# Not a heading in text\n\n" + text,
    });
    expect(fromText.map((p) => p.title)).toEqual(["opening-hours"]);
    expect(fromText[0]!.text).toBe(`# Not a heading in text ${text.replace("\n\n", " ")}`);
    expect(splitIntoPassages({ source: "notes.md", text })[0]!.title).toBe("notes");
  });

  it("turns tables into sentences and cuts very long paragraphs at sentence ends", () => {
    const table = "| Country | Days |\n|---|---|\n| Germany | 2 to 4 |\n| Austria | 3 to 5 |";
    expect(splitIntoPassages({ source: "t.md", text: table })[0]!.text).toBe(
      "Country – Days. Germany – 2 to 4. Austria – 3 to 5.",
    );
    const long = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} says something useful.`).join(
      " ",
    );
    const pieces = splitIntoPassages({ source: "long.md", text: long });
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.text.length).toBeLessThanOrEqual(900);
    expect(pieces.map((p) => p.text).join(" ")).toBe(long);
  });

  it("yields nothing for an empty file", () => {
    expect(splitIntoPassages({ source: "empty.md", text: "\uFEFF\n\n" })).toEqual([]);
  });
});
