/** One file of the knowledge folder, as read. */
export interface KnowledgeDocument {
  /** Path relative to the knowledge folder, `/`-separated. */
  readonly source: string;
  readonly text: string;
}

/** A searchable piece of a document: a paragraph (or a few short ones) under its heading. */
export interface Passage {
  /** The document's title: its first heading, else its file name without the extension. */
  readonly title: string;
  /** The heading the passage sits under, when it is not the title itself. */
  readonly heading: string;
  readonly source: string;
  /** Plain text: Markdown markup removed, list items ended with a full stop so they read as sentences. */
  readonly text: string;
}

/** Paragraphs shorter than this ("We are open:") are joined to the next one of the same section. */
const minPassageLength = 120;
/** Longer paragraphs are cut at sentence ends into pieces of about this size. */
const maxPassageLength = 900;

/**
 * Splits a Markdown (`.md`, `.markdown`) or text file into passages: a new section at each heading, a new
 * paragraph at each blank line. Deterministic; the text keeps its words, only markup goes.
 *
 * @example
 * splitIntoPassages({ source: "returns.md", text: "# Returns\n\nYou can return items within 30 days." });
 * // [{ title: "Returns", heading: "", source: "returns.md", text: "You can return items within 30 days." }]
 */
export function splitIntoPassages(document: KnowledgeDocument): Passage[] {
  const markdown = !/\.txt$/i.test(document.source);
  const lines = stripFrontMatter(document.text.replace(/^\uFEFF/, "")).split(/\r?\n/);
  const fileName = document.source
    .split("/")
    .at(-1)!
    .replace(/\.[^.]+$/, "");

  let title: string | undefined;
  const sections: { heading: string; paragraphs: string[][] }[] = [{ heading: "", paragraphs: [] }];
  let paragraph: string[] = [];
  let inFence = false;

  const flush = () => {
    if (paragraph.length > 0) sections.at(-1)!.paragraphs.push(paragraph);
    paragraph = [];
  };
  const startSection = (text: string) => {
    flush();
    const clean = cleanInline(text);
    // The first heading is the document's title; passages under it need no heading of their own.
    if (title === undefined) title = clean;
    sections.push({ heading: title === clean && sections.length === 1 ? "" : clean, paragraphs: [] });
  };

  for (const line of lines) {
    if (markdown && /^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    const atx = markdown && !inFence ? /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line) : null;
    if (atx) {
      startSection(atx[2]!);
      continue;
    }
    // Setext heading: a single line underlined with === or ---.
    if (markdown && !inFence && /^\s*(=+|-+)\s*$/.test(line) && paragraph.length === 1) {
      const text = paragraph[0]!;
      paragraph = [];
      startSection(text);
      continue;
    }
    if (line.trim() === "") flush();
    else paragraph.push(line);
  }
  flush();

  const documentTitle = title ?? fileName;
  const passages: Passage[] = [];
  for (const section of sections) {
    const texts = mergeShort(
      section.paragraphs
        .map((p) => (markdown ? markdownParagraph(p) : p.map((l) => l.trim()).join(" ")))
        .filter((text) => text !== ""),
    );
    for (const text of texts.flatMap(splitLong)) {
      passages.push({ title: documentTitle, heading: section.heading, source: document.source, text });
    }
  }
  return passages;
}

function stripFrontMatter(text: string): string {
  return text.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, "");
}

function markdownParagraph(lines: readonly string[]): string {
  const parts: string[] = [];
  for (const raw of lines) {
    if (/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(raw)) continue; // table rule
    const item = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/.exec(raw);
    let line = cleanInline((item ? item[1]! : raw).replace(/^\s*>\s?/, ""));
    if (/^\|.*\|$/.test(raw.trim())) {
      line = line
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((cell) => cell.trim())
        .filter((cell) => cell !== "")
        .join(" – ");
    }
    if (line === "") continue;
    // List items and table rows become sentences, so answers can quote them one by one.
    if ((item || raw.trim().startsWith("|")) && !/[.!?:;]$/.test(line)) line += ".";
    parts.push(line);
  }
  return parts.join(" ").replace(/\s+/g, " ").trim();
}

function cleanInline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/(\*\*|__)(.+?)\1/g, "$2")
    .replace(/(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

function mergeShort(texts: readonly string[]): string[] {
  const merged: string[] = [];
  let pending = "";
  for (const text of texts) {
    pending = pending === "" ? text : `${pending} ${text}`;
    if (pending.length >= minPassageLength) {
      merged.push(pending);
      pending = "";
    }
  }
  if (pending !== "") {
    if (merged.length > 0 && merged.at(-1)!.length + pending.length < maxPassageLength) {
      merged[merged.length - 1] = `${merged.at(-1)!} ${pending}`;
    } else merged.push(pending);
  }
  return merged;
}

function splitLong(text: string): string[] {
  if (text.length <= maxPassageLength) return [text];
  const pieces: string[] = [];
  let current = "";
  for (const sentence of text.split(/(?<=[.!?])\s+/)) {
    if (current !== "" && current.length + sentence.length + 1 > maxPassageLength) {
      pieces.push(current);
      current = "";
    }
    // A single sentence longer than the limit is cut hard; such text is rare in help articles.
    for (let rest = sentence; rest !== ""; rest = rest.slice(maxPassageLength)) {
      const part = rest.slice(0, maxPassageLength);
      current = current === "" ? part : `${current} ${part}`;
      if (rest.length > maxPassageLength) {
        pieces.push(current);
        current = "";
      }
    }
  }
  if (current !== "") pieces.push(current);
  return pieces;
}
