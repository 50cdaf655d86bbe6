import { createMemoryBus } from "../../src/bus/memory.ts";
import { runBusContract } from "./bus-contract.ts";

runBusContract("memory", () => Promise.resolve(createMemoryBus()));
