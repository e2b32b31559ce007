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
/**
 * The gateway tests run in a `deno test` process of their own: after the
 * graphql-ws client test, Deno has crashed (SIGSEGV) in a later test of the
 * same process, which would take the whole run down with it.
 */
const ISOLATED = "tests/e2e/gateway_test.ts";

let current: Deno.ChildProcess | undefined;
const stopChild = () => current?.kill("SIGTERM");
Deno.addSignalListener("SIGINT", stopChild);
Deno.addSignalListener("SIGTERM", stopChild);

async function denoTest(args: string[]): Promise<number> {
  current = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...args],
    env: { TEST_DATABASE_URL: url! },
    stdin: "null",
  }).spawn();
  return (await current.status).code;
}

try {
  if (Deno.args.length > 0) {
    code = await denoTest(Deno.args);
  } else {
    code = await denoTest(["--ignore=" + ISOLATED]);
    const isolated = await denoTest([ISOLATED]);
    code = code || isolated;
  }
} finally {
  await stop();
}
Deno.exit(code);
