import type { Logger } from "../telemetry/logger.ts";

/** The part of `process` the guard uses; tests pass an EventEmitter instead of the real process. */
export type GuardedProcess = Pick<NodeJS.Process, "on" | "off">;

/**
 * Process-wide last resort for the long-running commands (serve, start, simulator).
 *
 * A promise rejection nobody handled is logged and the process keeps serving: by default Node would exit
 * on it, so one forgotten `.catch` in a rarely taken path (a bus that went down, a socket closing) would end
 * every conversation the process holds. Such a rejection is a bug to fix, hence error level.
 *
 * An uncaught exception still ends the process (its state is unknown after one); the monitor only makes
 * sure it is in the JSON log, with the command, before Node prints it and exits.
 *
 * Returns the function that removes both listeners again.
 *
 * @example
 * const uninstall = installProcessGuard(logger, { command: "serve" });
 */
export function installProcessGuard(
  logger: Logger,
  context: { readonly command: string },
  target: GuardedProcess = process,
): () => void {
  const log = logger.child({ command: context.command });
  const onUnhandledRejection = (reason: unknown) => {
    log.error(
      { err: reason, event: "unhandledRejection" },
      "unhandled promise rejection; the process keeps running",
    );
  };
  const onUncaughtException = (error: Error, origin: NodeJS.UncaughtExceptionOrigin) => {
    log.fatal({ err: error, event: "uncaughtException", origin }, "uncaught exception; the process exits");
  };
  target.on("unhandledRejection", onUnhandledRejection);
  target.on("uncaughtExceptionMonitor", onUncaughtException);
  return () => {
    target.off("unhandledRejection", onUnhandledRejection);
    target.off("uncaughtExceptionMonitor", onUncaughtException);
  };
}
