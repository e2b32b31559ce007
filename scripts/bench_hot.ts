/**
 * `deno task bench:hot`: the saga's reservation steps on one hot product.
 *
 * Starts the command service in this process on a scratch database, creates
 * one product with a large stock, then, as the saga sends them (its service
 * token, a fresh order and command id each time, over gRPC), reserves it
 * 32 calls at a time until it holds `--orders` reservations (default
 * 20,000), stopping at 1,000 and 10,000 on the way. At each stop it sends
 * `--samples` (default 300) more reservations one at a time and reports
 * their latency, with the size of the product's inventory snapshot: what
 * one more reservation costs on a product with that many orders behind it.
 *
 * BENCH_DATABASE_URL: a server to measure on (a scratch database is created
 * and dropped there); without it an embedded PostgreSQL is started. Prints
 * the results and rewrites the "Hot product" section of docs/benchmarks.md.
 */
import { categoryCommands, productCommands } from "@proto/command/v1/contract.ts";
import { connect, dropDatabase, ensureDatabase, withDatabase } from "@shared/db/connect.ts";
import { migrate } from "@shared/db/migrate.ts";
import { createClient } from "@shared/grpc/client.ts";
import { createLogger } from "@shared/log/mod.ts";
import { actingAs, bearer } from "@shared/testing/auth.ts";
import { sagaSteps } from "@shared/testing/command.ts";
import { startCommandService } from "../services/command/app.ts";
import { flag } from "./bench/flags.ts";
import { describeMachine, measuredBy, publishSection } from "./bench/report.ts";
import { benchServers } from "./bench/servers.ts";

const ORDERS = flag("orders", 20_000);
const SAMPLES = flag("samples", 300);
const STOPS = [1_000, 10_000, ORDERS].filter((n, i, all) => n <= ORDERS && all.indexOf(n) === i);
const AT_ONCE = 32;

const loadBefore = Deno.loadavg();
const servers = await benchServers();
const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
const url = withDatabase(servers.eventStoreServer, `bench_hot_${tag}`);
await ensureDatabase(url);
const sql = connect(url, { max: 2 });
await migrate(sql, "event_store");
const described = await describeMachine(sql, servers.description);
const service = await startCommandService({
  eventStoreUrl: url,
  port: 0,
  host: "127.0.0.1",
  logger: createLogger("bench-hot"),
});
const address = `127.0.0.1:${service.port}`;
const admin = (await bearer("bench", ["admin"])).authorization;
const meta = () => ({ metadata: { commandId: crypto.randomUUID() } });
const categories = actingAs(createClient(categoryCommands, address), admin);
const products = actingAs(createClient(productCommands, address), admin);
const steps = await sagaSteps(service);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

try {
  const categoryId = (await categories.createCategory({ name: "Bench" }, meta())).id;
  const productId = (await products.createProduct(
    { name: "Hot product", price: "1.00", categoryId },
    meta(),
  )).id;
  await products.setStock({ productId, quantity: 1_000_000_000 }, meta());
  const reserve = () =>
    steps.reserveInventory({ orderId: crypto.randomUUID(), productId, quantity: 1 }, meta());

  const rows: string[] = [];
  let held = 0;
  for (const stop of STOPS) {
    const started = performance.now();
    const from = held;
    while (held < stop) {
      const n = Math.min(AT_ONCE, stop - held);
      await Promise.all(Array.from({ length: n }, reserve));
      held += n;
    }
    const fillRate = (held - from) / ((performance.now() - started) / 1000);
    const latencies: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t = performance.now();
      await reserve();
      latencies.push(performance.now() - t);
    }
    held += SAMPLES;
    latencies.sort((a, b) => a - b);
    const [snapshot] = await sql<{ bytes: number | null }[]>`
      SELECT max(length(snapshot_data::text))::int AS bytes FROM snapshots
      WHERE aggregate_type = 'Inventory'`;
    rows.push(
      `| ${stop.toLocaleString("en-US")} | ${Math.round(fillRate).toLocaleString("en-US")} | ${
        percentile(latencies, 0.5).toFixed(2)
      } | ${percentile(latencies, 0.9).toFixed(2)} | ${
        (snapshot?.bytes ?? 0).toLocaleString("en-US")
      } |`,
    );
    console.log(rows.at(-1));
  }
  const last = rows.at(-1)!.split("|").map((c) => c.trim());
  await publishSection("Hot product", [
    measuredBy("bench:hot", loadBefore, Deno.loadavg()),
    "",
    ...described,
    "",
    "One product, reserved by the saga's step RPC (its service token, a new order each time)",
    `through the command service's gRPC API, in this process: ${AT_ONCE} calls at a time up to`,
    `each row's count, then ${SAMPLES} more one at a time, timed. Each order's reservation is`,
    "recorded beside the inventory stream (`inventory_reservations`), so the product's state, and",
    "its snapshot, stay the same size whatever its history ([saga.md](saga.md#bursts-and-hot-products)).",
    "",
    "| reservations before | reservations/s, 32 at a time | one more, p50 (ms) | p90 (ms) | the product's snapshot (bytes) |",
    "|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Summary: \`after ${last[1]} reservations on one product: one more p50 ${
      last[3]
    } ms; snapshot ${last[5]} bytes\``,
  ]);
} finally {
  categories.close();
  products.close();
  steps.close();
  await service.stop();
  await sql.end();
  await dropDatabase(url);
  await servers.stop();
}
