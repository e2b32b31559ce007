/**
 * wrk (https://github.com/wg/wrk) as the load generator of the end-to-end
 * benchmark: an external C process, so the load costs the measured processes
 * nothing but the cores it takes. A generated Lua script makes each request's
 * POST body and counts answers that are not 200 or carry GraphQL `errors`.
 */

/** What one wrk run measured. */
export interface WrkResult {
  /** Answered requests per second, errors left out. */
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  /** Socket errors, timeouts, non-200 answers and answers with GraphQL `errors`. */
  errors: number;
  /** CPU ms wrk itself used. */
  loadCpuMs: number | undefined;
}

/** The request bodies of a scenario: a Lua expression of `n` (a per-thread counter) and `id` (the thread). */
export interface WrkBody {
  /** Lua lines run once per thread (tables of ids, say). */
  prelude?: string;
  /** A Lua expression giving the body of request `n`. */
  body: string;
}

/** A Lua string literal. */
export function lua(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

function script(headers: Record<string, string>, body: WrkBody): string {
  return `
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
${Object.entries(headers).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`).join("\n")}
${body.prelude ?? ""}
n = 0
errors = 0
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, ${body.body})
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  local s = summary.errors
  io.write(string.format(
    "RESULT %d %d %d %d %f %f %f %d\\n",
    summary.requests, summary.duration, e, s.connect + s.read + s.write + s.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    s.status))
end
`;
}

/** Runs wrk against `url` for `seconds` with `connections`; throws when wrk is missing or fails. */
export async function runWrk(options: {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  body: WrkBody;
}): Promise<WrkResult> {
  const file = await Deno.makeTempFile({ suffix: ".lua" });
  try {
    await Deno.writeTextFile(file, script(options.headers ?? {}, options.body));
    const threads = Math.min(options.connections, 2);
    const args = [
      "-t",
      String(threads),
      "-c",
      String(options.connections),
      "-d",
      `${options.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      file,
      options.url,
    ];
    // bash's `times` prints the CPU its children (wrk) used once they are done.
    const out = await new Deno.Command("bash", {
      args: ["-c", 'wrk "$@"; status=$?; times; exit $status', "wrk", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const line = /RESULT (.+)/.exec(text)?.[1];
    if (!out.success || !line) {
      throw new Error(`wrk failed: ${text}${new TextDecoder().decode(out.stderr)}`);
    }
    const [requests, durationUs, graphqlErrors, socketErrors, p50, p90, p99, non200] = line
      .split(" ").map(Number) as number[];
    const times = text.trim().split("\n").at(-1)!.split(/\s+/);
    const seconds = (t: string | undefined) => {
      const m = /(\d+)m([\d.]+)s/.exec(t ?? "");
      return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
    };
    const user = seconds(times[0]), sys = seconds(times[1]);
    const errors = graphqlErrors! + socketErrors!;
    return {
      rate: Math.max(0, requests! - graphqlErrors!) / (durationUs! / 1e6),
      p50: p50!,
      p90: p90!,
      p99: p99!,
      requests: requests!,
      errors: Math.max(errors, non200!),
      loadCpuMs: user === undefined || sys === undefined ? undefined : (user + sys) * 1000,
    };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}
