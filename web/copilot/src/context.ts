import { createContext, useContext } from "react";
import type { CopilotClientFrame } from "../../../src/protocol/copilot.ts";
import type { Locale, Translate } from "./messages.ts";
import type { TileRegistration } from "./tile-bridge.ts";

/** What every tile needs from the workspace: strings, a way to talk to the gateway, the frame bridge. */
export interface WorkspaceContextValue {
  readonly t: Translate;
  readonly locale: Locale;
  /** Sends a frame; false (and a visible problem) when the socket is not open. */
  readonly send: (frame: CopilotClientFrame) => boolean;
  /** Listen for postbacks from a tile's frame; returns the unregister function. */
  readonly registerFrame: (registration: TileRegistration<Window>) => () => void;
  readonly connected: boolean;
}

export const WorkspaceContext = createContext<WorkspaceContextValue | null>(null);

export function useWorkspace(): WorkspaceContextValue {
  const value = useContext(WorkspaceContext);
  if (value === null) throw new Error("useWorkspace outside the workspace");
  return value;
}
