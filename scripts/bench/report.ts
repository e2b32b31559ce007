/** Machine description and the markdown of the event store benchmark. */
import type { Sql } from "@shared/db/connect.ts";

/** One row of the results table: a rate per concurrency, with a note. */
export interface Row {
  name: string;
  rates: (number | undefined)[];
  note?: string;
}

/** The first line of a section: the task, the day, and the load averages around the run. */
export function measuredBy(task: string, loadBefore: number[], loadAfter: number[]): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(", ");
  return `Measured by \`deno task ${task}\` on ${new Date().toISOString().slice(0, 10)}. ` +
    `Load average (1, 5, 15 min) before: ${load(loadBefore)}; after: ${load(loadAfter)}.`;
}

/** The machine and server the numbers were measured on, as markdown bullets. */
export async function describeMachine(sql: Sql, server: string): Promise<string[]> {
  let cpu = "unknown CPU";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: the core count below still says something.
  }
  const memory = Deno.systemMemoryInfo();
  const [pg] = await sql<{ version: string }[]>`SELECT version()`;
  const settings = await sql<{ name: string; setting: string; unit: string | null }[]>`
    SELECT name, setting, unit FROM pg_settings
    WHERE name IN ('synchronous_commit', 'fsync', 'shared_buffers', 'wal_sync_method', 'max_connections')
    ORDER BY name`;
  let pressure = "not available";
  try {
    const psi = await Deno.readTextFile("/proc/pressure/cpu");
    pressure = /some (.+)/.exec(psi)?.[1] ?? pressure;
  } catch {
    // No pressure stall information on this kernel.
  }
  return [
    `- CPU: ${cpu}, ${navigator.hardwareConcurrency} cores; ${
      Math.round(memory.total / 2 ** 30)
    } GiB RAM`,
    `- OS: ${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch}); Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`,
    `- PostgreSQL: ${pg!.version.split(" on ")[0]} (${server}), the same server for every row`,
    `- CPU pressure when the run ended (share of time some task waited for a CPU, over 10 s, 60 s and 300 s): ${pressure}`,
    `- Settings: ${
      settings.map((s) => `${s.name}=${s.setting}${s.unit ? ` (${s.unit})` : ""}`).join(", ")
    }`,
  ];
}

function fmt(n: number | undefined): string {
  return n === undefined ? "–" : Math.round(n).toLocaleString("en-US");
}

function ratio(r: number | undefined): string {
  return r === undefined ? "–" : `${r.toFixed(2)}x`;
}

/** The results as a markdown table, with rows of ratios under it. */
export function table(
  concurrency: number[],
  rows: Row[],
  ratios: { name: string; ratios: (number | undefined)[] }[],
): string[] {
  const head = `| events/s | ${
    concurrency.map((c) => `${c} writer${c === 1 ? "" : "s"}`).join(" | ")
  } | notes |`;
  const rule = `|---|${concurrency.map(() => "---:").join("|")}|---|`;
  const lines = rows.map((r) =>
    `| ${r.name} | ${r.rates.map(fmt).join(" | ")} | ${r.note ?? ""} |`
  );
  const ratioLines = ratios.map((q) => `| ${q.name} | ${q.ratios.map(ratio).join(" | ")} | |`);
  return [head, rule, ...lines, ...ratioLines];
}

/**
 * Replaces (or adds) one `## heading` section of docs/benchmarks.md, leaving
 * the other sections as they are: each benchmark rewrites its own.
 */
export async function writeSection(path: string, heading: string, body: string[]): Promise<void> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!text.trim()) {
    text = "# Benchmarks\n\nOne section per benchmark, each rewritten by its own script.\n";
  }
  const title = `## ${heading}`;
  const section = `${title}\n\n${body.join("\n")}\n`;
  const start = text.indexOf(`\n${title}\n`);
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${section}`;
  } else {
    const next = text.indexOf("\n## ", start + 1);
    text = `${text.slice(0, start + 1)}${section}${next === -1 ? "" : `\n${text.slice(next + 1)}`}`;
  }
  await Deno.writeTextFile(path, text);
}

/** Rewrites a benchmark's section of docs/benchmarks.md and prints it. */
export async function publishSection(heading: string, body: string[]): Promise<void> {
  await writeSection(new URL("../../docs/benchmarks.md", import.meta.url).pathname, heading, body);
  console.log("");
  console.log(body.join("\n"));
}
