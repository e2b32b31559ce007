import type { GraphQLResponse } from "./graphql.ts";

/** One GraphQL-over-SSE subscription, read as its events arrive. */
export interface SseSubscription {
  /** The next `next` payload (its `data`), waiting up to `timeoutMs`. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The next whole `next` payload (`data` and `errors`), waiting up to `timeoutMs`. */
  result(timeoutMs?: number): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/**
 * Subscribes over GraphQL over SSE (the "distinct connections" mode that
 * graphql-yoga serves): a POST with `Accept: text/event-stream`, then one
 * `event: next` per result.
 */
export async function sseSubscribe(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<SseSubscription> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`SSE subscription failed: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const ready: GraphQLResponse[] = [];
  let buffer = "";
  let pending: Promise<ReadableStreamReadResult<string>> | undefined;
  const result = async (timeoutMs = 10_000): Promise<GraphQLResponse> => {
    const until = Date.now() + timeoutMs;
    while (ready.length === 0) {
      pending ??= reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(0, until - Date.now()));
      });
      const result = await Promise.race([pending, timeout]);
      clearTimeout(timer);
      if (result === "timeout") throw new Error(`No SSE event within ${timeoutMs} ms`);
      pending = undefined;
      if (result.done) throw new Error("SSE stream ended");
      buffer += result.value;
      let split: number;
      while ((split = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const lines = block.split("\n");
        if (!lines.includes("event: next")) continue;
        const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim())
          .join("");
        ready.push(JSON.parse(data) as GraphQLResponse);
      }
    }
    return ready.shift()!;
  };
  return {
    result,
    async next(timeoutMs) {
      return (await result(timeoutMs)).data as Record<string, unknown>;
    },
    async close() {
      controller.abort();
      await pending?.catch(() => {});
      await reader.cancel().catch(() => {});
    },
  };
}
