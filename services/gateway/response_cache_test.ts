import assert from "node:assert/strict";
import type { ChangeFeed } from "./feed.ts";
import { withCors } from "./cors.ts";
import { ResponseCache } from "./response_cache.ts";

/** A change feed that is in sync at one version. */
const feed = { version: () => "v1" } as unknown as ChangeFeed;

const request = (origin: string) =>
  new Request("http://gateway/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: "{}",
  });

Deno.test("a cached answer carries the CORS headers of the request it answers", async () => {
  const cache = new ResponseCache(feed);
  const body = new TextEncoder().encode(JSON.stringify({ query: "{ categories { id } }" }));
  const first = request("https://a.example");
  const key = cache.cacheable(first, body)!;
  await (await cache.store(
    key,
    Response.json({ data: { categories: [] } }, {
      headers: { "access-control-allow-origin": "https://a.example" },
    }),
  )).text();

  const second = request("https://b.example");
  const entry = cache.lookup(cache.cacheable(second, body)!);
  assert.ok(entry, "the second request is answered from the cache");
  // The entry keeps no CORS header of the request that filled it ...
  assert.equal(entry.headers.get("access-control-allow-origin"), null);
  // ... and gets those of the request it answers, as every answer of the gateway does.
  const hit = withCors(second, entry, { origins: ["https://b.example"] });
  assert.deepEqual(await hit.json(), { data: { categories: [] } });
  assert.equal(hit.headers.get("access-control-allow-origin"), "https://b.example");
  assert.equal(hit.headers.get("access-control-allow-credentials"), "true");
  assert.match(hit.headers.get("vary") ?? "", /Origin/);
});
