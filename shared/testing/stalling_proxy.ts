/**
 * A TCP proxy in front of a server whose open connections can be made to
 * stall: the client's side of each stays open, swallows what is sent and
 * answers nothing, as when the server crashed, or the network broke, and no
 * reset reached the client: neither an answer nor an error. Connections
 * opened after a stall go through.
 */
export interface StallingProxy {
  /** `url` with its host and port replaced by the proxy's. */
  readonly url: string;
  /**
   * Stalls every connection open now. `server: "closed"` (the default) also
   * closes their server sides, as a crash of the server does (its sessions
   * end); `"open"` leaves them open and silent, as a broken network does
   * (the server's sessions live on, holding their locks).
   */
  stall(options?: { server?: "closed" | "open" }): void;
  /**
   * Stalls, once, the first connection whose client then sends a statement
   * to be described before it is bound (Parse, Describe, Flush: how
   * postgres.js first sends a statement with parameters), right after the
   * server has it, its server side left open: the server then waits for the
   * rest of the statement, in the middle of it, and the client for the
   * description.
   */
  stallAtDescribe(): void;
  close(): void;
}

interface Pair {
  client: Deno.Conn;
  server: Deno.Conn;
  stalled: boolean;
}

/** Starts a proxy to the host and port of `url` (a postgres:// URL, say). */
export function startStallingProxy(url: string): StallingProxy {
  const target = new URL(url);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Pair>();
  let atDescribe = false;
  const end = (pair: Pair) => {
    open.delete(pair);
    tryClose(pair.client);
    tryClose(pair.server);
  };
  // Copies one way until either side ends; once stalled, the bytes of either side are dropped.
  const pipe = async (from: Deno.Conn, to: Deno.Conn, pair: Pair) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        if (pair.stalled) continue;
        let written = 0;
        while (written < n) written += await to.write(buf.subarray(written, n));
        if (atDescribe && from === pair.client && endsWithFlush(buf.subarray(0, n))) {
          atDescribe = false;
          pair.stalled = true;
        }
      }
    } catch {
      // A side closed.
    }
    if (!pair.stalled) end(pair);
    // Stalled: nothing crosses any more, not even the client's own close.
    else if (from === pair.client) tryClose(pair.client);
  };
  (async () => {
    for await (const client of listener) {
      try {
        const server = await Deno.connect({
          hostname: target.hostname,
          port: Number(target.port || 5432),
        });
        const pair = { client, server, stalled: false };
        open.add(pair);
        void pipe(client, server, pair);
        void pipe(server, client, pair);
      } catch {
        tryClose(client);
      }
    }
  })().catch(() => {});
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String((listener.addr as Deno.NetAddr).port);
  return {
    url: proxied.href,
    stall({ server = "closed" } = {}) {
      for (const pair of open) {
        pair.stalled = true;
        if (server === "closed") tryClose(pair.server);
      }
    },
    stallAtDescribe() {
      atDescribe = true;
    },
    close() {
      tryClose(listener);
      for (const pair of [...open]) end(pair);
    },
  };
}

/** Whether `bytes` end with a Flush message of the PostgreSQL protocol: `H`, length 4. */
function endsWithFlush(bytes: Uint8Array): boolean {
  const flush = [0x48, 0, 0, 0, 4];
  return bytes.length >= flush.length &&
    flush.every((b, i) => bytes[bytes.length - flush.length + i] === b);
}

function tryClose(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // Closed already.
  }
}
