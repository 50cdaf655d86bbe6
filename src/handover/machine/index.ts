/** The pure handover state machine: types, `initialState` / `transition`, and its derived table. */
export * from "./types.ts";
export { initialState, transition, unsupportedState } from "./transition.ts";
export type { OpenHandoverState } from "./transition.ts";
export { isCancelRequest } from "./cancel-request.ts";
export {
  eventSamples,
  lifecycleRows,
  lifecycleSituations,
  startRows,
  summarise,
  tablePolicy,
  tableRequest,
} from "./table.ts";
export type { LifecycleRow, LifecycleSituation } from "./table.ts";
export {
  endReasonDescriptions,
  flowStatusDescriptions,
  handoverStateDescriptions,
  renderLifecycleMarkdown,
} from "./lifecycle-markdown.ts";
export { bannerOf } from "./banner.ts";
