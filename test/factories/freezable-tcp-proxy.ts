import { connect, createServer, type Socket } from "node:net";
import { onTestFinished } from "vitest";

export interface FreezableTcpProxy {
  /** The target URL with its host and port replaced by the proxy's (`redis://127.0.0.1:<port>`). */
  readonly url: string;
  /**
   * Stops passing bytes either way on every connection (they wait in the sockets' buffers), as a stalled
   * process or a network partition would: nothing is lost or reset, it just stops arriving.
   */
  freeze(): void;
  /** Passes on what waited and carries on. */
  thaw(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 port 0 in front of `targetUrl`'s host and port, whose connections can be
 * frozen and thawed. Closed when the test ends.
 *
 * @example
 * const proxy = await startFreezableTcpProxy(redisUrl);
 * const bus = await createRedisBus(proxy.url);
 * proxy.freeze(); // the bus's commands (lock renewals too) stop reaching Redis
 */
export async function startFreezableTcpProxy(targetUrl: string): Promise<FreezableTcpProxy> {
  const target = new URL(targetUrl);
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;

  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    if (frozen) for (const socket of pair) socket.pause();
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the proxy has no port");
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);

  async function close(): Promise<void> {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  onTestFinished(close);

  return {
    url: url.toString(),
    freeze() {
      frozen = true;
      for (const pair of pairs) for (const socket of pair) socket.pause();
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) for (const socket of pair) socket.resume();
    },
    close,
  };
}
