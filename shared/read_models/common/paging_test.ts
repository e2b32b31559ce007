import assert from "node:assert/strict";
import { likePattern, pageInfo, pageWindow } from "./paging.ts";

Deno.test("pageWindow() and pageInfo() page from 1, 20 by default, at most 100", () => {
  assert.deepEqual(pageWindow({}), { page: 1, perPage: 20, offset: 0, limit: 20 });
  assert.deepEqual(pageWindow({ page: 3, perPage: 500 }).perPage, 100);
  assert.equal(pageInfo(pageWindow({ page: 2, perPage: 10 }), 20).hasNext, false);
  assert.equal(pageInfo(pageWindow({ page: 2, perPage: 10 }), 21).hasNext, true);
  assert.equal(pageInfo(pageWindow({}), 0).hasNext, false);
});

Deno.test("likePattern() escapes LIKE wildcards", () => {
  assert.equal(likePattern(" 50%_off\\ "), "%50\\%\\_off\\\\%");
});
