import { type FormEvent, type ReactNode, useId, useState } from "react";
import type { TileContent } from "../../../../src/protocol/copilot.ts";
import { Citations, CopyButton } from "../components.tsx";
import { useWorkspace } from "../context.ts";

/** Search box → `search` frame; "Searching…" until the tile's next version; the answer with citations. */
export function KnowledgeTile(props: {
  readonly tileId: string;
  readonly content: Extract<TileContent, { kind: "knowledge" }> | undefined;
  readonly pendingQuery: string | undefined;
  readonly copyable: boolean;
  readonly onSearchSent: (query: string) => void;
}): ReactNode {
  const { t, send } = useWorkspace();
  const inputId = useId();
  const [query, setQuery] = useState("");
  const content = props.content;
  const searching = props.pendingQuery !== undefined || content?.searching === true;

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    const text = query.trim();
    if (text === "") return;
    if (send({ type: "search", tileId: props.tileId, query: text })) props.onSearchSent(text);
  };

  return (
    <div className="knowledge">
      <form className="search-form" role="search" onSubmit={onSubmit}>
        <label htmlFor={inputId} className="sr-only">
          {t("searchLabel")}
        </label>
        <input
          id={inputId}
          type="search"
          value={query}
          placeholder={t("searchPlaceholder")}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="knowledge-search"
          maxLength={500}
          autoComplete="off"
        />
        <button type="submit" data-testid="knowledge-search-submit" disabled={query.trim() === ""}>
          {t("search")}
        </button>
      </form>
      <div aria-live="polite" aria-busy={searching}>
        {searching ? (
          <p className="quiet" data-testid="knowledge-searching">
            {t("searching")}
          </p>
        ) : null}
        {content !== undefined && !searching ? (
          <div data-testid="knowledge-answer">
            {content.query ? (
              <h3 className="answer-for">{t("answerFor", { query: content.query })}</h3>
            ) : null}
            {content.answer ? (
              <>
                <p className="suggestion-text">{content.answer}</p>
                <div className="row">
                  {props.copyable ? <CopyButton text={content.answer} /> : null}
                  <span className="meta">{t("engine", { engine: content.engine })}</span>
                </div>
              </>
            ) : content.query ? (
              <p className="quiet">{t("noAnswer")}</p>
            ) : null}
            <Citations citations={content.citations} />
          </div>
        ) : null}
      </div>
    </div>
  );
}
