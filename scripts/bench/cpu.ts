/**
 * CPU time of processes and of the whole machine, from /proc (Linux only;
 * elsewhere every reading is undefined and reports leave the columns out).
 */

const TICK_MS = 10; // USER_HZ is 100 on Linux.

/** CPU time (user + system) a process has used, in ms. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine (every core, everything but idle and iowait), in ms. */
export function machineBusyMs(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
    const [, ...values] = line.trim().split(/\s+/);
    const n = values.map(Number);
    const busy = n.reduce((a, b) => a + b, 0) - n[3]! - n[4]!;
    return busy * TICK_MS;
  } catch {
    return undefined;
  }
}

/** CPU used by named processes, the machine, and the rest, between two readings. */
export class CpuMeter {
  readonly #pids: Record<string, number>;
  #start: Record<string, number | undefined> = {};
  #machine: number | undefined;

  constructor(pids: Record<string, number>) {
    this.#pids = pids;
  }

  start(): void {
    this.#start = Object.fromEntries(
      Object.entries(this.#pids).map(([name, pid]) => [name, processCpuMs(pid)]),
    );
    this.#machine = machineBusyMs();
  }

  /** ms of CPU each process used since start(), plus `other` (the machine minus them). */
  stop(): Record<string, number> | undefined {
    const machine = machineBusyMs();
    if (machine === undefined || this.#machine === undefined) return undefined;
    const used: Record<string, number> = {};
    let named = 0;
    for (const [name, pid] of Object.entries(this.#pids)) {
      const now = processCpuMs(pid), before = this.#start[name];
      if (now === undefined || before === undefined) return undefined;
      used[name] = now - before;
      named += used[name];
    }
    used.other = Math.max(0, machine - this.#machine - named);
    return used;
  }
}

/** Parent pid and CPU ms of every process, from /proc. */
function processTable(): Map<number, { ppid: number; cpuMs: number }> {
  const table = new Map<number, { ppid: number; cpuMs: number }>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const pid = Number(entry.name);
      if (!Number.isInteger(pid)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        table.set(pid, {
          ppid: Number(fields[1]),
          cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
        });
      } catch {
        // Gone while listed.
      }
    }
  } catch {
    // No /proc.
  }
  return table;
}

/** Pids of the postmasters serving these data directories (from their command lines). */
export function postmasterPids(dataDirs: string[]): number[] {
  const found: number[] = [];
  if (dataDirs.length === 0) return found;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      const pid = Number(entry.name);
      if (!Number.isInteger(pid)) continue;
      try {
        const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
        if (cmdline.some((a) => dataDirs.includes(a)) && /postgres/.test(cmdline[0] ?? "")) {
          found.push(pid);
        }
      } catch {
        // Gone, or not ours to read.
      }
    }
  } catch {
    // No /proc.
  }
  return found;
}

/**
 * CPU of process trees (a postmaster and its backends): the ms its members
 * used between start() and stop(); a member that ends in between is lost,
 * which the long-lived pool connections of a benchmark make rare.
 */
export class TreeCpuMeter {
  readonly #roots: number[];
  #start = new Map<number, number>();

  constructor(roots: number[]) {
    this.#roots = roots;
  }

  #members(): Map<number, number> {
    const table = processTable();
    const members = new Map<number, number>();
    for (const [pid, p] of table) {
      if (this.#roots.includes(pid) || this.#roots.includes(p.ppid)) members.set(pid, p.cpuMs);
    }
    return members;
  }

  start(): void {
    this.#start = this.#members();
  }

  /** ms used since start(); undefined without roots. */
  stop(): number | undefined {
    if (this.#roots.length === 0) return undefined;
    let used = 0;
    for (const [pid, ms] of this.#members()) used += ms - (this.#start.get(pid) ?? 0);
    return used;
  }
}
