import assert from "node:assert/strict";
import { basename, dirname } from "node:path";
import { type Reference, references, sourceFiles } from "@shared/testing/imports.ts";

const show = (r: Reference) => `${r.from}:${r.line} imports ${r.to}`;

Deno.test("a file whose name starts with _ is imported only from its own folder", async () => {
  const strays = (await references()).filter((r) =>
    basename(r.to).startsWith("_") && dirname(r.to) !== dirname(r.from)
  );
  assert.deepEqual(strays.map(show), []);
});

/** Test files, test support and the tools that drive the system from outside. */
function outsideProduction(file: string): boolean {
  return file.endsWith("_test.ts") || file.startsWith("shared/testing/") ||
    file.startsWith("tests/") || file.startsWith("scripts/");
}

Deno.test("production code imports no test support", async () => {
  const leaks = (await references()).filter((r) =>
    !outsideProduction(r.from) && outsideProduction(r.to)
  );
  assert.deepEqual(leaks.map(show), []);
});

Deno.test("test support lives in shared/testing, not beside production code", async () => {
  const support = /^(_?testing|_fixtures|_?harness|_workload|scenario|spec)\.ts$|^_fuzz_/;
  const stray = (await sourceFiles()).filter((file) =>
    !file.startsWith("shared/testing/") && support.test(basename(file))
  );
  assert.deepEqual(stray, []);
});

Deno.test("tests/ holds tests only: every helper of theirs is in shared/testing", async () => {
  const helpers = (await sourceFiles()).filter((file) =>
    file.startsWith("tests/") && !file.endsWith("_test.ts")
  );
  assert.deepEqual(helpers, []);
});

/** The production files, but `home`, whose text matches `pattern`. */
async function productionFilesMatching(pattern: RegExp, home: string): Promise<string[]> {
  const root = new URL("../", import.meta.url);
  const found: string[] = [];
  for (const file of await sourceFiles()) {
    if (outsideProduction(file) || file === home) continue;
    if (pattern.test(await Deno.readTextFile(new URL(file, root)))) found.push(file);
  }
  return found;
}

Deno.test("production code opens PostgreSQL connections only through openPostgres", async () => {
  // openPostgres (shared/db/connect.ts) gives every connection the project's
  // types: jsonb read around V8's escaped-key fault (shared/runtime/json.ts).
  assert.deepEqual(
    await productionFilesMatching(/^import postgres(,| from)/m, "shared/db/connect.ts"),
    [],
  );
});

Deno.test("production code runs transactions only through shared/db/transaction.ts", async () => {
  // postgres.js's own `begin()` hangs, and breaks its pool, when the connection drops
  // mid-transaction; the project's transactions are guarded against that.
  assert.deepEqual(await productionFilesMatching(/\.begin\(/, "shared/db/transaction.ts"), []);
});
