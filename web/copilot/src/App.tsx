import {
  type CSSProperties,
  type ReactNode,
  useCallback,
  useEffect,
  useMemo,
  useReducer,
  useRef,
} from "react";
import type { CopilotClientFrame, CopilotTile } from "../../../src/protocol/copilot.ts";
import { FullPageMessage, Header, ProblemsPanel, TileFrame } from "./components.tsx";
import { type CopilotSocket, createCopilotSocket } from "./connection.ts";
import { WorkspaceContext, type WorkspaceContextValue, useWorkspace } from "./context.ts";
import { gridLayout, tileLayout } from "./grid.ts";
import type { Locale, Translate } from "./messages.ts";
import { type CopilotLinkParams, webSocketUrl } from "./page-config.ts";
import { parseServerFrame } from "./server-frames.ts";
import { type TileRegistration, createPostbackDeduper, routeTileMessage } from "./tile-bridge.ts";
import { AdaptiveCardTile } from "./tiles/AdaptiveCardTile.tsx";
import { HtmlTile, IframeTile } from "./tiles/FrameTiles.tsx";
import { KnowledgeTile } from "./tiles/KnowledgeTile.tsx";
import { IdentityTile, NextActionTile, SentimentTile, SummaryTile } from "./tiles/SimpleTiles.tsx";
import { TranscriptTile } from "./tiles/TranscriptTile.tsx";
import { type WorkspaceModel, initialWorkspaceModel, reduce } from "./workspace-state.ts";

/**
 * The workspace: the socket feeds the pure reducer (workspace-state.ts); the grid and the tiles render the
 * model. One window `message` listener serves every HTML/iFrame tile (tile-bridge.ts).
 */
export function App(props: {
  readonly t: Translate;
  readonly locale: Locale;
  readonly link: CopilotLinkParams;
}): ReactNode {
  const { t, locale, link } = props;
  const [model, dispatch] = useReducer(reduce, initialWorkspaceModel);
  const socket = useRef<CopilotSocket | null>(null);
  const registrations = useRef(new Set<TileRegistration<Window>>());

  useEffect(() => {
    const s = createCopilotSocket({
      url: webSocketUrl(location, link),
      onOpen: () => dispatch({ type: "connecting" }),
      onMessage: (raw) => {
        const parsed = parseServerFrame(raw);
        const now = new Date().toISOString();
        if (parsed.kind === "invalid") dispatch({ type: "invalidFrame", detail: parsed.detail, now });
        if (parsed.kind !== "frame") return;
        if (parsed.frame.type === "state") s.markHealthy();
        dispatch({ type: "frame", frame: parsed.frame, now });
      },
      onClose: ({ code, retryInMs }) => dispatch({ type: "closed", code, retryInMs: retryInMs ?? 0 }),
    });
    socket.current = s;
    s.start();
    return () => {
      s.stop();
      socket.current = null;
    };
  }, [link]);

  // A refusal by error frame ends the socket too (the close that follows must not be retried).
  useEffect(() => {
    if (model.connection.phase === "refused") socket.current?.stop();
  }, [model.connection.phase]);

  // Postbacks from HTML/iFrame tiles: one listener, routed by the sending window, deduplicated by id.
  useEffect(() => {
    const deduper = createPostbackDeduper();
    const onMessage = (event: MessageEvent): void => {
      const routed = routeTileMessage(registrations.current, event, deduper);
      if (routed === undefined) return;
      const frame: CopilotClientFrame = { type: "postback", tileId: routed.tileId, value: routed.value };
      if (!socket.current?.send(frame)) {
        dispatch({ type: "notSent", tileId: routed.tileId, now: new Date().toISOString() });
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, []);

  const send = useCallback((frame: CopilotClientFrame): boolean => {
    const sent = socket.current?.send(frame) ?? false;
    if (!sent) dispatch({ type: "notSent", tileId: frame.tileId, now: new Date().toISOString() });
    return sent;
  }, []);

  const registerFrame = useCallback((registration: TileRegistration<Window>) => {
    registrations.current.add(registration);
    return () => {
      registrations.current.delete(registration);
    };
  }, []);

  const connected = model.connection.phase === "live";
  const context = useMemo<WorkspaceContextValue>(
    () => ({ t, locale, send, registerFrame, connected }),
    [t, locale, send, registerFrame, connected],
  );

  useEffect(() => {
    document.title = model.sessionKey ? `${t("pageTitle")} · ${model.sessionKey}` : t("pageTitle");
  }, [t, model.sessionKey]);

  if (model.connection.phase === "refused") {
    return (
      <FullPageMessage
        testId="link-invalid"
        title={t("linkInvalidTitle")}
        body={t("linkInvalidBody", { code: model.connection.code })}
      />
    );
  }

  return (
    <WorkspaceContext.Provider value={context}>
      <div className="app">
        <Header
          t={t}
          sessionKey={model.sessionKey}
          handoverState={model.handoverState}
          connection={model.connection}
          onReconnectNow={() => socket.current?.reconnectNow()}
        />
        <ProblemsPanel
          t={t}
          problems={model.problems}
          onDismiss={(key) => dispatch({ type: "dismissProblem", key })}
          onDismissAll={() => dispatch({ type: "dismissAllProblems" })}
        />
        {model.loaded ? (
          <Grid
            model={model}
            onSearchSent={(tileId, query) => dispatch({ type: "searchSent", tileId, query })}
          />
        ) : (
          <main className="loading" data-testid="copilot-loading" aria-busy="true">
            <p>{t("loading")}</p>
          </main>
        )}
      </div>
    </WorkspaceContext.Provider>
  );
}

function Grid(props: {
  readonly model: WorkspaceModel;
  readonly onSearchSent: (tileId: string, query: string) => void;
}): ReactNode {
  const { t } = useWorkspace();
  const { model } = props;
  const layout = gridLayout(model.grid);
  return (
    <main className="grid" style={layout.style} aria-label={t("workspaceLabel")} data-testid="copilot-grid">
      {model.tiles.map((tile) => (
        <TileFrame
          key={tile.id}
          id={tile.id}
          title={tile.title ?? tile.id}
          kind={tile.content?.kind ?? "empty"}
          style={tileLayout(tile.placement, model.grid).style as CSSProperties}
        >
          <TileBody
            tile={tile}
            pendingQuery={model.pendingSearches[tile.id]}
            onSearchSent={(query) => props.onSearchSent(tile.id, query)}
          />
        </TileFrame>
      ))}
    </main>
  );
}

function TileBody(props: {
  readonly tile: CopilotTile;
  readonly pendingQuery: string | undefined;
  readonly onSearchSent: (query: string) => void;
}): ReactNode {
  const { t } = useWorkspace();
  const { tile } = props;
  const content = tile.content;
  const copyable = tile.copyable === true;
  if (content === undefined) {
    // A knowledge tile can be searched before the flow first fills it; other tiles wait quietly.
    return (
      <p className="quiet placeholder" data-testid="tile-placeholder">
        {t("tileWaiting")}
      </p>
    );
  }
  switch (content.kind) {
    case "transcript":
      return <TranscriptTile lines={content.lines} />;
    case "sentiment":
      return <SentimentTile content={content} />;
    case "knowledge":
      return (
        <KnowledgeTile
          tileId={tile.id}
          content={content}
          pendingQuery={props.pendingQuery}
          copyable={copyable}
          onSearchSent={props.onSearchSent}
        />
      );
    case "nextAction":
      return <NextActionTile text={content.text} citations={content.citations} copyable={copyable} />;
    case "identity":
      return <IdentityTile content={content} />;
    case "summary":
      return <SummaryTile text={content.text} engine={content.engine} copyable={copyable} />;
    case "html":
      return <HtmlTile tileId={tile.id} html={content.html} data={content.data} />;
    case "iframe":
      return <IframeTile tileId={tile.id} url={content.url} data={content.data} />;
    case "adaptiveCard":
      return <AdaptiveCardTile tileId={tile.id} card={content.card} />;
  }
}
