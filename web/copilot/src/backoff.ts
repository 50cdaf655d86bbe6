/** Reconnection delays: the web chat page's (exponential from 0.5 s, capped at 10 s, ±20 % jitter). */
export { reconnectBackoff, reconnectDelay } from "../../webchat/src/backoff.ts";
