/**
 * `deno task bench`: every benchmark in one run, each rewriting its own
 * section of docs/benchmarks.md (with the machine, the load averages around
 * it, the CPU pressure and the date), in this order: event store,
 * projector, read model queries, gateway, createProduct breakdown, end to
 * end, the hot product, and the integration-event relay when NATS answers at
 * NATS_URL.
 *
 * The numbers mean something only on a quiet machine: before each section the
 * 1-minute load average must be below BENCH_MAX_LOAD (default 1.5); the run
 * waits up to BENCH_WAIT_S (default 300) seconds for it, then stops, unless
 * BENCH_ANY_LOAD=1. Extra arguments are task names to run instead of all.
 */

const SECTIONS = [
  "bench:store",
  "bench:projector",
  "bench:queries",
  "bench:gateway",
  "bench:breakdown",
  "bench:e2e",
  "bench:hot",
];
const maxLoad = Number(Deno.env.get("BENCH_MAX_LOAD") ?? 1.5);
const waitS = Number(Deno.env.get("BENCH_WAIT_S") ?? 300);
const anyLoad = Deno.env.get("BENCH_ANY_LOAD") === "1";

async function quiet(task: string): Promise<void> {
  const deadline = Date.now() + waitS * 1000;
  for (;;) {
    const [one] = Deno.loadavg();
    if (one! < maxLoad || anyLoad) {
      console.log(`${task}: load average ${one!.toFixed(2)}`);
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${task}: the machine is busy (load average ${one!.toFixed(2)} ≥ ${maxLoad} for ` +
          `${waitS} s); numbers taken now would measure the other work. ` +
          "BENCH_ANY_LOAD=1 runs anyway.",
      );
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
}

/** Whether something accepts connections at NATS_URL (default nats://127.0.0.1:4222). */
async function natsReachable(): Promise<boolean> {
  const url = new URL(Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222");
  try {
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 4222) });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

// The relay is optional (it runs only with NATS): its section is measured when NATS answers.
const relay = await natsReachable();
if (!relay && Deno.args.length === 0) {
  console.log("bench:relay: skipped, no NATS at NATS_URL; its section stays as it was");
}
const tasks = Deno.args.length > 0 ? Deno.args : relay ? [...SECTIONS, "bench:relay"] : SECTIONS;
for (const task of tasks) {
  await quiet(task);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["task", task],
    cwd: new URL("../", import.meta.url).pathname,
    stdin: "null",
  }).spawn().status;
  if (!status.success) {
    console.error(`${task} failed (exit ${status.code})`);
    Deno.exit(status.code || 1);
  }
}
