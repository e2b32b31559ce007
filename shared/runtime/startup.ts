import { ConfigError, maskUrlCredentials } from "@shared/config/mod.ts";

/** The settings a process started with, as its config schema parsed them. */
export type Settings = Readonly<Record<string, unknown>>;

/**
 * Runs a process's start-up. When it fails, prints one line that names the
 * cause and the setting to change (see {@link startupFailure}), never a
 * stack trace, and exits with code 1. `LOG_LEVEL=debug` prints the stack too.
 */
export async function startOrExit<T>(
  service: string,
  settings: Settings,
  start: () => T | Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (err) {
    console.error(startupFailure(service, settings, err));
    if (Deno.env.get("LOG_LEVEL") === "debug") console.error(err);
    Deno.exit(1);
  }
}

/** A setting of a URL, with the host and port it points at. */
interface Endpoint {
  name: string;
  host: string;
  port: number;
  url: string;
}

const DEFAULT_PORTS: Record<string, number> = {
  "postgres:": 5432,
  "postgresql:": 5432,
  "nats:": 4222,
  "redis:": 6379,
  "rediss:": 6379,
};

function endpoints(settings: Settings): Endpoint[] {
  const out: Endpoint[] = [];
  for (const [name, value] of Object.entries(settings)) {
    if (!name.endsWith("_URL") || typeof value !== "string") continue;
    try {
      const url = new URL(value);
      const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
      if (port) out.push({ name, host: url.hostname, port, url: maskUrlCredentials(value) });
    } catch { /* not a URL: the config schema said so already */ }
  }
  return out;
}

function portSettings(settings: Settings): [string, number][] {
  return Object.entries(settings).filter((e): e is [string, number] =>
    e[0].endsWith("_PORT") && typeof e[1] === "number" && e[1] > 0
  );
}

function databaseUrls(settings: Settings): Endpoint[] {
  return endpoints(settings).filter((e) => /^postgres(ql)?:/.test(e.url));
}

function describe(err: unknown): { message: string; code: string } {
  const e = err as { message?: unknown; code?: unknown } | null | undefined;
  return {
    message: typeof e?.message === "string" ? e.message : String(err),
    code: typeof e?.code === "string" ? e.code : "",
  };
}

const firstLine = (text: string) => text.split("\n")[0]!.trim();

/**
 * The one line that says why a process could not start, and what to do:
 * a port in use names its setting; a database that refuses the connection,
 * the login or the database name names its URL setting (password masked);
 * a database not migrated says so; a ConfigError is its own message.
 * Anything else is its first line. Never throws.
 */
export function startupFailure(service: string, settings: Settings, err: unknown): string {
  try {
    return `${service} cannot start: ${cause(settings, err)}`;
  } catch {
    return `${service} cannot start`;
  }
}

function cause(settings: Settings, err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  const { message, code } = describe(err);
  const inUse = err instanceof Deno.errors.AddrInUse || code === "EADDRINUSE" ||
    /address already in use|EADDRINUSE/i.test(message);
  if (inUse) {
    const ports = portSettings(settings);
    const named = ports.filter(([, port]) => new RegExp(`:${port}\\b`).test(message));
    // The address the listener names, when no setting holds its port (a default applied later):
    // that port, rather than settings that have nothing to do with it.
    const address = /listen on \S*:(\d+)/.exec(message)?.[1];
    if (named.length === 0 && address) {
      return `port ${address} is already in use; stop what listens on it or set the port ` +
        "that listener uses to a free one";
    }
    const busy = named.length > 0 ? named : ports;
    const list = busy.map(([name, port]) => `${name}=${port}`).join(", ");
    if (busy.length === 1) {
      const [name, port] = busy[0]!;
      return `port ${port} (${name}) is already in use; stop what listens on it or set ${name} to a free port`;
    }
    return `a port it listens on is already in use (${list || "none set"}); stop what listens ` +
      "there or set these to free ports";
  }
  const refused = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|Connection refused/i;
  if (refused.test(code) || refused.test(message)) {
    const target = endpoints(settings).find((e) =>
      message.includes(`${e.host}:${e.port}`) || message.includes(e.host)
    );
    const what = /ENOTFOUND|EAI_AGAIN/i.test(`${code} ${message}`)
      ? "cannot resolve"
      : "cannot connect to";
    if (target) {
      return `${what} ${target.host}:${target.port} (${target.name}); start that server, or set ` +
        `${target.name} to one that runs`;
    }
    return `${firstLine(message)}; check that the servers its *_URL settings name are running`;
  }
  const databases = databaseUrls(settings);
  const names = databases.map((d) => d.name).join(" or ") || "its database URL";
  // PostgreSQL's own errors (postgres.js keeps the SQLSTATE in `code`).
  if (code === "28P01" || code === "28000") {
    return `PostgreSQL refused the login (${names}): ${firstLine(message)}; check the user and ` +
      "password in that URL";
  }
  if (code === "3D000") {
    return `${firstLine(message)} (${names}); create it, or set ${names} to an existing database`;
  }
  if (code === "42P01") {
    return `the database of ${names} is not migrated (${firstLine(message)}); run ` +
      "`deno task migrate` with the same settings";
  }
  return firstLine(message) || "unknown error";
}

/**
 * Opens a listener (`open` calls Deno.serve or the like) on `host:port`; a
 * port already in use is rethrown naming that address, so the start-up
 * line can name the setting that chose it.
 */
export function listening<T>(host: string, port: number, open: () => T): T {
  try {
    return open();
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      throw new Deno.errors.AddrInUse(`Cannot listen on ${host}:${port}: address already in use`, {
        cause: err,
      });
    }
    throw err;
  }
}
