import { pino } from "pino";
import { createLogger } from "../../telemetry/logger.ts";
import { untilSignal, type CliIo } from "../io.ts";
import { installProcessGuard } from "../process-guard.ts";

/**
 * `baton simulator`: the simulator is a separate program (simulator/); the CLI only launches it. It is
 * imported lazily so `serve` never loads simulator code.
 */
export async function simulatorCommand(argv: string[], io: CliIo): Promise<number> {
  // stdout carries the simulator's human-readable banner, so the guard's JSON lines go to stderr; written
  // synchronously so a fatal line is out before the process exits.
  const logger = createLogger({
    name: "baton-simulator",
    destination: pino.destination({ fd: 2, sync: true }),
  });
  const uninstallGuard = installProcessGuard(logger, { command: "simulator" });
  try {
    const { runSimulatorCommand } = await import("../../../simulator/src/cli.ts");
    // The simulator logs through the same stderr logger, so a state file it fails to save is not silent.
    return await runSimulatorCommand(argv, {
      ...io,
      logger,
      waitForStop: async () => void (await untilSignal()),
    });
  } finally {
    uninstallGuard();
  }
}
