import { untilSignal, type CliIo } from "../io.ts";

/**
 * `baton simulator`: the simulator is a separate program (simulator/); the CLI only launches it. It is
 * imported lazily so `serve` never loads simulator code.
 */
export async function simulatorCommand(argv: string[], io: CliIo): Promise<number> {
  const { runSimulatorCommand } = await import("../../../simulator/src/cli.ts");
  return runSimulatorCommand(argv, { ...io, waitForStop: async () => void (await untilSignal()) });
}
