/**
 * What a service's code says about itself, read from the source files its
 * entry point loads: the environment variables it reads, the defaults of its
 * port variables, the HTTP paths it serves and whether it serves the gRPC
 * health service.
 *
 * Why read source rather than import the config schemas: most schemas are
 * written inline in `main.ts`, and importing a `main.ts` starts the service.
 * Reading every local module of the entry's graph (`deno info --json`) also
 * finds the variables read outside the schema (LOG_LEVEL in shared/log, the
 * OTEL_* ones in shared/observability), and only those that this process
 * actually loads.
 */

/** Facts about one entry point (a `services/<name>/main.ts` or a script). */
export interface ServiceFacts {
  /** Every environment variable the process may read. */
  env: Set<string>;
  /** Port variables (`portVar.default(n)` in a zod schema) and their defaults. */
  portDefaults: Map<string, number>;
  /** Paths compared with `pathname === "…"`: the HTTP routes it serves. */
  httpPaths: Set<string>;
  /** Whether it registers grpc.health.v1.Health (grpc-health-check). */
  grpcHealth: boolean;
}

const repoRoot = new URL("../../", import.meta.url);

/** The local source files an entry point loads, itself included. */
async function localModules(entry: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno info ${entry}: ${new TextDecoder().decode(stderr)}`);
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.map((m) => m.specifier)
    .filter((s) => s.startsWith(repoRoot.href) && !s.includes("/node_modules/"));
}

/** Keys of object literals written as `NAME: …` in upper case: a zod config schema's fields. */
const schemaKey = /^\s*([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)\s*:/gm;
const envGet = /Deno\.env\.get\(\s*"([A-Z0-9_]+)"\s*\)/g;
const portDefault = /\b([A-Z][A-Z0-9_]*):\s*portVar\.default\((\d+)\)/g;
const servedPath = /pathname\s*===\s*"([^"]+)"/g;

const cache = new Map<string, Promise<ServiceFacts>>();

/** The facts of the entry point at `entry` (a path from the repository root). */
export function serviceFacts(entry: string): Promise<ServiceFacts> {
  let facts = cache.get(entry);
  if (!facts) {
    facts = collect(entry);
    cache.set(entry, facts);
  }
  return facts;
}

async function collect(entry: string): Promise<ServiceFacts> {
  const facts: ServiceFacts = {
    env: new Set(),
    portDefaults: new Map(),
    httpPaths: new Set(),
    grpcHealth: false,
  };
  for (const url of await localModules(entry)) {
    const text = await Deno.readTextFile(new URL(url));
    // Only modules that build a schema: elsewhere upper-case keys are not variables.
    if (/\bz\.object\(/.test(text)) {
      for (const [, name] of text.matchAll(schemaKey)) facts.env.add(name!);
    }
    for (const [, name] of text.matchAll(envGet)) facts.env.add(name!);
    for (const [, name, port] of text.matchAll(portDefault)) {
      facts.portDefaults.set(name!, Number(port));
    }
    for (const [, path] of text.matchAll(servedPath)) facts.httpPaths.add(path!);
    if (/new HealthImplementation\(/.test(text) && /\.addToServer\(/.test(text)) {
      facts.grpcHealth = true;
    }
  }
  return facts;
}
