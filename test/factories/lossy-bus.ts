import { onTestFinished } from "vitest";
import type { Bus, SubscribeOptions } from "../../src/bus/types.ts";

export interface LossyBus {
  /**
   * Swallows the next publish that `match` accepts: it resolves as if delivered and reaches no subscriber,
   * as Redis pub/sub does with a message published while a subscriber reconnects. Resolves with the
   * swallowed message once that happened.
   */
  dropNext(match: (topic: string, message: unknown) => boolean): Promise<unknown>;
  /** Swallows every publish that `match` accepts until `stop()`; `dropped` lists them in publish order. */
  dropAll(match: (topic: string, message: unknown) => boolean): {
    readonly dropped: readonly unknown[];
    stop(): void;
  };
  /**
   * Tells every subscription of `topic` that it may have missed messages (what the Redis bus does once its
   * subscriber connection is subscribed again). Resolves to how many subscriptions were told.
   */
  signalMissed(topic: string): number;
}

/**
 * Makes a gateway's live bus lose what a test picks: its `publish` and `subscribe` are wrapped in place (every
 * part of the gateway holds this one object), and restored when the test ends.
 *
 * @example
 * const lossy = makeLossy(gateway.bus);
 * const dropped = lossy.dropNext((topic, m) => topic === `session:${key}` && isAgentMessage(m, "two"));
 */
export function makeLossy(bus: Bus): LossyBus {
  const publish = bus.publish.bind(bus);
  const subscribe = bus.subscribe.bind(bus);
  interface Drop {
    readonly match: (topic: string, message: unknown) => boolean;
    readonly once: boolean;
    dropped(message: unknown): void;
  }
  const armed: Drop[] = [];
  const listeners = new Set<{ topic: string; onMissed: () => void }>();

  bus.publish = (topic, message) => {
    const drop = armed.find((candidate) => candidate.match(topic, message));
    if (drop === undefined) return publish(topic, message);
    if (drop.once) armed.splice(armed.indexOf(drop), 1);
    drop.dropped(message);
    return Promise.resolve();
  };
  bus.subscribe = async (topic, handler, options: SubscribeOptions = {}) => {
    const listener = options.onMissed === undefined ? undefined : { topic, onMissed: options.onMissed };
    if (listener !== undefined) listeners.add(listener);
    const unsubscribe = await subscribe(topic, handler, options);
    return () => {
      if (listener !== undefined) listeners.delete(listener);
      return unsubscribe();
    };
  };
  onTestFinished(() => {
    bus.publish = publish;
    bus.subscribe = subscribe;
  });

  return {
    dropNext(match) {
      return new Promise((resolve) => armed.push({ match, once: true, dropped: resolve }));
    },
    dropAll(match) {
      const dropped: unknown[] = [];
      const drop: Drop = { match, once: false, dropped: (message) => dropped.push(message) };
      armed.push(drop);
      return {
        dropped,
        stop: () => {
          if (armed.includes(drop)) armed.splice(armed.indexOf(drop), 1);
        },
      };
    },
    signalMissed(topic) {
      const told = [...listeners].filter((listener) => listener.topic === topic);
      for (const listener of told) listener.onMissed();
      return told.length;
    },
  };
}
