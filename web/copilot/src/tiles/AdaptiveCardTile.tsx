import { type ReactNode, useEffect, useRef, useState } from "react";
import { renderAdaptiveCard } from "../adaptive-card.ts";
import { useWorkspace } from "../context.ts";

/** An Adaptive Card; Action.Submit/Execute → `postback` frame with the inputs merged with the action data. */
export function AdaptiveCardTile(props: {
  readonly tileId: string;
  readonly card: Readonly<Record<string, unknown>>;
}): ReactNode {
  const { t, send } = useWorkspace();
  const host = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  const [sent, setSent] = useState(false);
  const sendRef = useRef(send);
  sendRef.current = send;

  useEffect(() => {
    const element = host.current;
    if (!element) return undefined;
    const rendered = renderAdaptiveCard(props.card, location.href, (value) => {
      if (sendRef.current({ type: "postback", tileId: props.tileId, value })) {
        setSent(true);
        setTimeout(() => setSent(false), 2000);
      }
    });
    setFailed(rendered === undefined);
    element.replaceChildren(...(rendered ? [rendered] : []));
    return () => element.replaceChildren();
  }, [props.card, props.tileId]);

  return (
    <div className="adaptive-card" data-testid={`adaptive-card-${props.tileId}`}>
      <div ref={host} />
      {failed ? <p className="quiet">{t("cardUnavailable")}</p> : null}
      <p className="meta" role="status" data-testid="card-sent">
        {sent ? t("cardSent") : ""}
      </p>
    </div>
  );
}
