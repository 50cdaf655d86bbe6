import { expect } from "vitest";
import type { GatewayCluster } from "./gateway-cluster.ts";
import { reconnectingWebchatUser, type ReconnectingWebchatUser } from "./reconnecting-webchat.ts";
import { simulatorAgent } from "./simulator-agent.ts";
import { handOverToAgent, perfect, printTally, seqsOf, twoWayTraffic } from "./two-way-traffic.ts";

/**
 * One handover carried across a dependency's outage, with messages flowing both ways the whole time (the
 * user on instance A, 8x8's webhooks to B): 5 before, 30 around the outage (`down` after the 5th round,
 * `up` after the 15th, each instance's readiness followed to 503 and back to 200), 5 after. Asserts every
 * stage arrived once and in order, and, once nothing is left on its way, the final tally and the user's
 * seqs (nothing doubled, nothing shown backwards). Returns the user for further checks.
 */
export async function carryTrafficThroughAnOutage(
  cluster: GatewayCluster,
  who: { readonly userId: string; readonly sessionId: string },
  outage: { readonly down: () => Promise<void>; readonly up: () => Promise<void> },
): Promise<ReconnectingWebchatUser> {
  const { a, b } = cluster;
  const agent = simulatorAgent(cluster.simulator);
  const user = reconnectingWebchatUser(a.url, cluster.webToken, who);
  const conversationId = await handOverToAgent(user, agent, who.userId);
  const traffic = twoWayTraffic(user, agent, conversationId);

  await traffic.pump("before", 5);
  expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(5), toUser: perfect(5) });

  await traffic.pump("around the outage", 30, {
    intervalMs: 500,
    onRound: async (round) => {
      if (round === 5) {
        await outage.down();
        // Both instances notice: their readiness says the dependency is away.
        await a.waitForReadiness(503);
        await b.waitForReadiness(503);
      }
      if (round === 15) {
        await outage.up();
        await a.waitForReadiness(200);
        await b.waitForReadiness(200);
      }
    },
  });
  expect(await traffic.settle(60_000)).toEqual({ toAgent: perfect(35), toUser: perfect(35) });

  await traffic.pump("after", 5);
  expect(await traffic.settle(30_000)).toEqual({ toAgent: perfect(40), toUser: perfect(40) });
  // Nothing left on its way that could still arrive twice.
  await cluster.quiet();
  const final = await traffic.tally();
  printTally(`through the outage (${who.sessionId})`, final);
  expect(final).toEqual({ toAgent: perfect(40), toUser: perfect(40) });
  expect(seqsOf(user)).toEqual({ doubled: [], descending: 0 });
  return user;
}
