import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = new URL("../../", import.meta.url);

/** Every local module `entry` reaches, as paths from the repository's root. */
async function moduleGraph(entry: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: fileURLToPath(root),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const { modules } = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  return modules
    .map((m) => m.specifier)
    .filter((s) => s.startsWith(root.href))
    .map((s) => s.slice(root.href.length));
}

Deno.test("the saga worker imports nothing from the command service: it calls it over gRPC", async () => {
  for (const entry of ["services/saga/main.ts", "services/saga/app.ts"]) {
    const modules = await moduleGraph(entry);
    assert.ok(modules.includes("services/saga/_dispatcher.ts"), `${entry}: the graph was read`);
    assert.deepEqual(modules.filter((m) => m.startsWith("services/command/")), [], entry);
  }
});
