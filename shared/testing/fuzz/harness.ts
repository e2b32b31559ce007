/**
 * What the fuzz tests check around each request: that every process is still
 * alive, that no refused request wrote an event, and how the answers were
 * spread over outcome codes, with the failures grouped by rule.
 */
import type { TestSystem } from "@shared/testing/system.ts";
import { SERVICES } from "@shared/runtime/system.ts";

/** One failure: what broke, what caused it, where, what was sent and what came back. */
export interface Failure {
  /** The property broken, e.g. "INTERNAL" or "refused but wrote OrderCreated". */
  failure: string;
  /** What about the request caused it, e.g. "int = float 5.5" or "header x-user-id: latin-1 bytes". */
  cause: string;
  /** The operation or method. */
  where: string;
  /** The request, shortened for printing. */
  request: string;
  outcome: string;
}

/** Failures of one rule: how many, where, and the shortest request (a minimal example). */
export interface FailureGroup {
  group: string;
  count: number;
  where: Set<string>;
  example: Failure;
}

/** Counts of cases per outcome code, and the failures found. */
export class Tally {
  readonly outcomes = new Map<string, number>();
  readonly failures: Failure[] = [];
  cases = 0;

  /** Counts one answered case. */
  count(outcome: string): void {
    this.cases++;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** Records a failure. */
  fail(failure: Failure): void {
    this.failures.push(failure);
  }

  /**
   * The failures grouped by property and cause. A case with several causes
   * joins the group of one of them when that group exists (so it adds no
   * new rule), and a group of its own otherwise.
   */
  groups(): FailureGroup[] {
    const by = new Map<string, FailureGroup>();
    const add = (group: string, f: Failure, single: boolean) => {
      const seen = by.get(group);
      if (!seen) by.set(group, { group, count: 1, where: new Set([f.where]), example: f });
      else {
        seen.count++;
        seen.where.add(f.where);
        // The example has one cause when the group has one: that is the minimal counterexample.
        if (single && f.request.length < seen.example.request.length) seen.example = f;
      }
    };
    const combined: Failure[] = [];
    for (const f of this.failures) {
      if (f.cause.includes(" & ")) combined.push(f);
      else add(`${f.failure}: ${f.cause}`, f, true);
    }
    for (const f of combined) {
      const single = f.cause.split(" & ").map((c) => `${f.failure}: ${c}`).find((g) => by.has(g));
      add(single ?? `${f.failure}: ${f.cause}`, f, false);
    }
    return [...by.values()].sort((a, b) => a.group.localeCompare(b.group));
  }

  /** A printable summary: cases, outcomes by code, failures by group. */
  report(title: string): string {
    const lines = [`${title}: ${this.cases} cases`];
    for (const [code, n] of [...this.outcomes].sort((a, b) => b[1] - a[1])) {
      lines.push(`  ${code.padEnd(36)} ${n}`);
    }
    const groups = this.groups();
    lines.push(`  failures: ${this.failures.length} in ${groups.length} groups`);
    for (const g of groups) {
      const where = [...g.where].sort();
      lines.push(
        `  FAIL x${g.count} ${g.group} [${where.slice(0, 6).join(", ")}${
          where.length > 6 ? `, +${where.length - 6}` : ""
        }]`,
      );
      lines.push(`       e.g. ${g.example.where} ${g.example.request} -> ${g.example.outcome}`);
    }
    return lines.join("\n");
  }
}

function unprintable(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x200e || code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) ||
    (code >= 0xd800 && code <= 0xdfff) || code > 0xffff;
}

function escape(c: string): string {
  return [...Array(c.length).keys()].map((i) =>
    `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`
  ).join("");
}

/** Shortens any value for a report line, escaping what does not print. */
export function show(value: unknown, max = 160): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_, v) => {
      if (typeof v === "string" && v.length > 48) {
        const cps = [...v].length;
        return `${v.slice(0, 24)}…(${v.length} units, ${cps} cp)`;
      }
      return v;
    }) ?? String(value);
  } catch {
    text = String(value);
  }
  // Escape what would garble a terminal: controls, bidi marks, lone surrogates.
  text = [...text].map((c) => unprintable(c.codePointAt(0)!) ? escape(c) : c).join("");
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function processState(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "?";
  } catch {
    return "gone";
  }
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  return !["gone", "Z", "X"].includes(processState(pid));
}

async function healthStatus(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    return res.ok ? "ok" : `HTTP ${res.status} ${body.slice(0, 200)}`;
  } catch (err) {
    return `no answer (${(err as Error).message})`;
  }
}

/**
 * The processes that died or stopped answering: every service's process must
 * exist and not be a zombie, and the gateway (which checks command and query
 * over gRPC health), projector and saga must answer /health.
 */
export async function deadServices(system: TestSystem): Promise<string[]> {
  const dead: string[] = [];
  for (const service of SERVICES) {
    const state = processState(system.pids[service]);
    if (state === "gone" || state === "Z" || state === "X") {
      dead.push(`${service}: process ${state}`);
    }
  }
  const checks = {
    gateway: `${system.gatewayUrl}/health`,
    projector: `http://127.0.0.1:${system.ports.projector}/health`,
    saga: `http://127.0.0.1:${system.ports.saga}/health`,
  };
  for (const [name, url] of Object.entries(checks)) {
    const status = await healthStatus(url);
    if (status !== "ok") dead.push(`${name}: /health ${status}`);
  }
  return dead;
}

/** What a request did, for the write check: its correlation id and the fresh ids it names. */
export interface WriteRecord {
  /** The X-Correlation-Id sent; undefined when the header itself was fuzzed. */
  correlationId?: string;
  /** Client-chosen ids of aggregates the request would create. */
  freshIds: string[];
  /** Whether the answer says something was written (a consistency token, or gRPC OK). */
  accepted: boolean;
  request: string;
  outcome: string;
  cause: string;
  where: string;
}

/**
 * Checks that refused requests wrote nothing: every event appended since
 * `fromId` must belong to an accepted request (by correlation id, or by the
 * fresh aggregate id it created) or to the setup; an event carrying a refused
 * request's correlation id, or on a refused request's fresh id, is a failure.
 * Events that belong to no request at all are failures too.
 */
export class WriteLedger {
  readonly records = new Map<string, WriteRecord>();
  readonly #freshAccepted = new Set<string>();
  /** Aggregates of attributed events: the saga correlates what it writes with them. */
  readonly #attributed = new Set<string>();
  readonly #freshRefused = new Map<string, WriteRecord>();
  #checkedUpTo = 0n;
  /** Correlation ids of the setup's own writes. */
  readonly setup = new Set<string>();
  unattributed = 0;

  /** Starts checking after the events already stored. */
  async start(system: TestSystem): Promise<void> {
    const [row] = await system.db.eventStore<{ max: string | null }[]>`
      SELECT max(id)::text AS max FROM events`;
    this.#checkedUpTo = BigInt(row?.max ?? "0");
    const seeded = await system.db.eventStore<{ id: string }[]>`
      SELECT DISTINCT aggregate_id::text AS id FROM events`;
    for (const { id } of seeded) this.#attributed.add(id);
  }

  /** Records one answered request. */
  add(record: WriteRecord): void {
    if (record.correlationId) this.records.set(record.correlationId, record);
    for (const id of record.freshIds) {
      if (record.accepted) this.#freshAccepted.add(id.toLowerCase());
      else this.#freshRefused.set(id.toLowerCase(), record);
    }
  }

  /** Checks the events appended since the last check; records failures in `tally`. */
  async check(system: TestSystem, tally: Tally): Promise<void> {
    const rows = await system.db.eventStore<
      { id: string; correlation: string | null; aggregate: string; type: string }[]
    >`
      SELECT id::text, event_metadata->>'correlationId' AS correlation,
        aggregate_id::text AS aggregate, event_type AS type
      FROM events WHERE id > ${this.#checkedUpTo.toString()}::bigint ORDER BY id`;
    for (const row of rows) {
      this.#checkedUpTo = BigInt(row.id) > this.#checkedUpTo ? BigInt(row.id) : this.#checkedUpTo;
      const byCorrelation = row.correlation ? this.records.get(row.correlation) : undefined;
      const refusedFresh = this.#freshRefused.get(row.aggregate);
      if (byCorrelation && !byCorrelation.accepted) {
        tally.fail({ ...byCorrelation, failure: `refused but wrote ${row.type}` });
      } else if (refusedFresh && !byCorrelation?.accepted) {
        tally.fail({ ...refusedFresh, failure: `refused but wrote ${row.type}` });
      } else if (
        !byCorrelation && !this.#freshAccepted.has(row.aggregate) &&
        !(row.correlation && this.setup.has(row.correlation)) &&
        // The saga correlates its own events with the order when their cause had no correlation id.
        !(row.correlation && this.#freshAccepted.has(row.correlation)) &&
        !(row.correlation && this.#attributed.has(row.correlation))
      ) {
        this.unattributed++;
        tally.fail({
          failure: `event ${row.type} from no accepted request`,
          cause: "unknown",
          where: row.aggregate,
          request: `correlation ${show(row.correlation)}`,
          outcome: "written",
        });
      } else {
        this.#attributed.add(row.aggregate);
      }
    }
  }
}

/** An HTTP answer read off a raw socket. */
export interface RawResponse {
  status: number;
  body: string;
}

function indexOf(haystack: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function dechunk(body: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = indexOf(body, [13, 10], at);
    if (eol < 0) break;
    const size = parseInt(new TextDecoder().decode(body.subarray(at, eol)), 16);
    if (!size) break;
    out.push(...body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return new Uint8Array(out);
}

/**
 * Sends one HTTP/1.1 request over a plain TCP socket, so header values can be
 * any bytes (fetch() refuses values that are not ByteStrings). Resolves with
 * null when the server closed the connection without an answer.
 */
export async function rawHttp(
  port: number,
  head: Uint8Array,
  body: Uint8Array,
  timeoutMs = 30_000,
): Promise<RawResponse | null> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    const request = new Uint8Array(head.length + body.length);
    request.set(head);
    request.set(body, head.length);
    let written = 0;
    while (written < request.length) written += await conn.write(request.subarray(written));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    const split = indexOf(all, [13, 10, 13, 10]);
    if (split < 0) return null;
    const headText = new TextDecoder().decode(all.subarray(0, split));
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1] ?? 0);
    let rest: Uint8Array = all.subarray(split + 4);
    if (/^transfer-encoding:\s*chunked/im.test(headText)) rest = dechunk(rest);
    return { status, body: new TextDecoder().decode(rest) };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

/** Concatenates byte arrays and strings (strings as UTF-8). */
export function bytes(...parts: (string | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const encoded = parts.map((p) => typeof p === "string" ? new TextEncoder().encode(p) : p);
  const out = new Uint8Array(encoded.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of encoded) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The fuzz seed: FUZZ_SEED when set, else a fixed one, so every run is reproducible. */
export function fuzzSeed(fallback: number): number {
  const text = Deno.env.get("FUZZ_SEED");
  return text ? Number(text) : fallback;
}
