/**
 * Runs every test against a real PostgreSQL: TEST_DATABASE_URL when set,
 * otherwise an embedded server in a temporary folder, stopped afterwards.
 * Extra arguments go to `deno test` (e.g. a file or `--filter name`).
 */
import { startEmbeddedPostgres } from "@shared/db/embedded.ts";

let url = Deno.env.get("TEST_DATABASE_URL");
let stop = async () => {};
if (!url) {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-test-pg-" });
  const started = performance.now();
  const server = await startEmbeddedPostgres({ dataDir });
  console.log(
    `embedded PostgreSQL on port ${server.port} (${Math.round(performance.now() - started)} ms)`,
  );
  url = server.url;
  stop = async () => {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
}

let code = 1;
try {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...Deno.args],
    env: { TEST_DATABASE_URL: url },
    stdin: "null",
  }).spawn();
  const stopChild = () => child.kill("SIGTERM");
  Deno.addSignalListener("SIGINT", stopChild);
  Deno.addSignalListener("SIGTERM", stopChild);
  code = (await child.status).code;
} finally {
  await stop();
}
Deno.exit(code);
