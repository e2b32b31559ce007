/**
 * `deno task bench:queries`: the read model's queries at 100,000 products.
 *
 * Fills a fresh read-model database directly (250 categories in a
 * three-level tree, 100,000 products on the 200 leaves, statistics tables),
 * then runs each query function as the query service does, reports its
 * median time over repeated runs, and prints PostgreSQL's EXPLAIN ANALYZE of
 * every SQL statement it issued (captured from the driver, so the plans are
 * those of the real queries). Uses BENCH_DATABASE_URL (a server URL; a
 * scratch database is created on it and dropped afterwards), else an
 * embedded PostgreSQL. Options: --products N, --runs N. The timings, with
 * the scans each query's plan uses, go to the "Read model queries" section
 * of docs/benchmarks.md.
 */
import postgres from "postgres";
import { connect, dropDatabase, ensureDatabase, withDatabase } from "@shared/db/connect.ts";
import { startEmbeddedPostgres } from "@shared/db/embedded.ts";
import { describeMachine, measuredBy, writeSection } from "./bench/report.ts";
import { migrate } from "@shared/db/migrate.ts";
import { getProductsByCategoryIds } from "@shared/read_models/products/queries.ts";
import { searchProducts } from "@shared/read_models/products/search.ts";
import {
  getCategoryProductStatistics,
  getCategoryStatistics,
  getProductStatistics,
} from "@shared/read_models/statistics/queries.ts";
import { flag } from "./bench/flags.ts";

const PRODUCTS = flag("products", 100_000);
const RUNS = flag("runs", 30);
const loadBefore = Deno.loadavg();

let server = Deno.env.get("BENCH_DATABASE_URL");
let stopServer = async () => {};
if (!server) {
  const dataDir = await Deno.makeTempDir({ prefix: "cqrs-bench-pg-" });
  const embedded = await startEmbeddedPostgres({ dataDir });
  server = embedded.url;
  stopServer = async () => {
    await embedded.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
}
const url = withDatabase(server, `bench_queries_${Date.now()}`);
await ensureDatabase(url);

const captured: { query: string; parameters: unknown[] }[] = [];
// As the query service connects: custom plans forced (see services/query/app.ts).
const sql = postgres(url, {
  max: 4,
  onnotice: () => {},
  connection: { plan_cache_mode: "force_custom_plan" },
  debug: (_connection, query, parameters) => captured.push({ query, parameters }),
});

async function fill(): Promise<{ leaves: string[]; roots: string[] }> {
  const admin = connect(url, { max: 1 });
  await migrate(admin, "read_model");
  const categories: { id: string; name: string; parent_id: string | null; path: unknown }[] = [];
  const roots: string[] = [], leaves: string[] = [];
  const add = (name: string, parent: (typeof categories)[number] | null) => {
    const id = crypto.randomUUID();
    const path = [...(parent ? parent.path as unknown[] : []), { id, name }];
    const row = { id, name, parent_id: parent?.id ?? null, path };
    categories.push(row);
    return row;
  };
  for (let r = 0; r < 10; r++) {
    const root = add(`Department ${r}`, null);
    roots.push(root.id);
    for (let c = 0; c < 4; c++) {
      const child = add(`Aisle ${r}.${c}`, root);
      for (let l = 0; l < 5; l++) leaves.push(add(`Shelf ${r}.${c}.${l}`, child).id);
    }
  }
  await admin`
    INSERT INTO categories (id, name, parent_id, path, depth, version, created_at, updated_at)
    SELECT id, name, parent_id, path, jsonb_array_length(path), 1, now(), now()
    FROM jsonb_to_recordset(${admin.json(categories as never)})
      AS x(id uuid, name text, parent_id uuid, path jsonb)`;
  await admin`SELECT setseed(0.42)`;
  await admin`
    INSERT INTO products (id, name, description, price_cents, category_id, category_name,
      version, created_at, updated_at)
    SELECT gen_random_uuid(), n.product_name,
      'Made of ' || w.material || ', ' || w.adj || ' and durable. Model ' || i,
      1 + floor(random() ^ 3 * 9999999)::bigint, w.leaf, c.category_name,
      1, now() - i * interval '1 minute',
      now() - i * interval '1 minute'
    FROM generate_series(1, ${PRODUCTS}) AS i,
      LATERAL (SELECT
        (ARRAY['Red','Blue','Green','Black','White','Vintage','Classic','Modern','Light',
          'Heavy','Slim','Wide','Soft','Rugged','Smart','Eco','Deluxe','Basic','Urban',
          'Alpine'])[1 + (i * 7) % 20] AS adj,
        (ARRAY['cotton','wool','leather','steel','oak','bamboo','linen','silk','nylon',
          'glass','ceramic','copper','denim','suede','canvas'])[1 + (i * 11) % 15] AS material,
        (ARRAY['shirt','jacket','boot','lamp','chair','table','mug','bottle','backpack',
          'watch','scarf','hat','belt','wallet','sneaker','kettle','pan','knife','desk',
          'shelf','rug','pillow','blanket','vase','clock','speaker','tent','bike','helmet',
          'glove'])[1 + (i * 13) % 30] AS noun,
        (${leaves}::uuid[])[1 + i % ${leaves.length}] AS leaf) AS w,
      LATERAL (SELECT w.adj || ' ' || w.material || ' ' || w.noun || ' ' || i AS product_name) n,
      LATERAL (SELECT name AS category_name FROM categories WHERE id = w.leaf) AS c`;
  await admin`
    UPDATE categories c SET product_count = k.n
    FROM (SELECT category_id, count(*) AS n FROM products GROUP BY category_id) k
    WHERE c.id = k.category_id`;
  await admin`
    UPDATE categories c SET child_count = k.n
    FROM (SELECT parent_id, count(*) AS n FROM categories GROUP BY parent_id) k
    WHERE c.id = k.parent_id`;
  await admin`
    INSERT INTO product_stock (product_id, stock, version)
    SELECT id, floor(random() * 500)::int, 1 FROM products`;
  await admin`
    INSERT INTO product_counts (category_id, live)
    SELECT category_id, count(*) FROM products GROUP BY category_id`;
  await admin`
    INSERT INTO stats_categories (id, name, parent_id, depth, version)
    SELECT id, name, parent_id, depth, 1 FROM categories`;
  await admin`
    INSERT INTO stats_products (id, category_id, price_cents, stock, version, stock_version)
    SELECT id, category_id, price_cents, stock, 1, 1 FROM product_rows`;
  await admin`
    INSERT INTO stats_category_products (category_id, product_count, price_sum_cents, stock_sum)
    SELECT category_id, count(*), sum(price_cents), sum(stock) FROM stats_products
    GROUP BY category_id`;
  await admin.unsafe("VACUUM ANALYZE");
  await admin.end();
  return { leaves, roots };
}

/** One row of the report: a query, its times and the scans of its plans. */
const rows: { label: string; median: number; p95: number; scans: string[] }[] = [];

async function measure(label: string, run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const p95 = times[Math.floor(times.length * 0.95)]!;
  captured.length = 0;
  await run();
  const statements = [...captured];
  const scans = new Set<string>();
  console.log(`\n### ${label}\n`);
  console.log(`client time: median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms\n`);
  for (const { query, parameters } of statements) {
    const plan = await sql.unsafe(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${query}`,
      parameters as never[],
    );
    console.log("```");
    console.log(query.replace(/\s+/g, " ").trim());
    for (const row of plan) console.log(Object.values(row)[0]);
    console.log("```");
    for (const row of plan) {
      const line = String(Object.values(row)[0]);
      const scan =
        /((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)(?: Backward)?(?: using \S+)?(?: on \S+)?)/
          .exec(line)?.[1];
      if (scan) scans.add(scan);
    }
  }
  rows.push({ label, median, p95, scans: [...scans] });
}

try {
  const started = performance.now();
  const { leaves, roots } = await fill();
  console.log(
    `# Query benchmark: ${PRODUCTS} products, ${leaves.length} leaf categories ` +
      `(filled in ${Math.round(performance.now() - started)} ms; ${RUNS} runs each)`,
  );
  const leaf = leaves[7]!;
  await measure("list page (page 1, by name)", () => searchProducts(sql, { page: 1 }));
  await measure("list page (page 500, by name)", () => searchProducts(sql, { page: 500 }));
  await measure(
    'search by text, common term ("leather")',
    () => searchProducts(sql, { text: "leather" }),
  );
  await measure(
    'search by text, rare term ("jacket 4242")',
    () => searchProducts(sql, { text: "jacket 4242" }),
  );
  await measure(
    "price range 100.00..120.00, by price",
    () => searchProducts(sql, { minPrice: "100.00", maxPrice: "120.00", sort: "price_asc" }),
  );
  await measure("sorted by price, descending", () => searchProducts(sql, { sort: "price_desc" }));
  await measure(
    "products by category (one leaf, by name)",
    () => searchProducts(sql, { categoryId: leaf }),
  );
  await measure(
    "products of 20 categories in one call (DataLoader batch)",
    () => getProductsByCategoryIds(sql, leaves.slice(0, 20)),
  );
  await measure(
    "advanced search: text + category + price range, price desc",
    () =>
      searchProducts(sql, {
        text: "wool",
        categoryId: leaf,
        minPrice: "1.00",
        maxPrice: "500.00",
        sort: "price_desc",
      }),
  );
  await measure(
    "advanced search: text + price range, newest",
    () =>
      searchProducts(sql, { text: "lamp", minPrice: "10.00", maxPrice: "50.00", sort: "newest" }),
  );
  await measure("product statistics", () => getProductStatistics(sql));
  await measure("category product statistics", () => getCategoryProductStatistics(sql, leaf));
  await measure("category statistics", () => getCategoryStatistics(sql));
  void roots;
  const machine = connect(url, { max: 1 });
  const described = await describeMachine(
    machine,
    server === Deno.env.get("BENCH_DATABASE_URL") ? "BENCH_DATABASE_URL" : "embedded",
  );
  await machine.end();
  await writeSection(
    new URL("../docs/benchmarks.md", import.meta.url).pathname,
    "Read model queries",
    [
      `${measuredBy("bench:queries", loadBefore, Deno.loadavg())} ${
        PRODUCTS.toLocaleString("en-US")
      } products on ${leaves.length} leaf categories (a three-level tree), the query functions`,
      `of the query service called directly, ${RUNS} runs each after 3 warm-ups; the client time`,
      "includes the round trip. The scans are those of `EXPLAIN ANALYZE` of every statement the",
      "query issued (the task prints the whole plans).",
      "",
      ...described,
      "",
      "| query | median (ms) | p95 (ms) | scans |",
      "|---|---:|---:|---|",
      ...rows.map((r) =>
        `| ${r.label} | ${r.median.toFixed(2)} | ${r.p95.toFixed(2)} | ${
          r.scans.map((x) => `\`${x}\``).join(", ")
        } |`
      ),
    ],
  );
} finally {
  await sql.end();
  await dropDatabase(url);
  await stopServer();
}
