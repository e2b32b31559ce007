import { currentTraceId, redact } from "@shared/observability/log.ts";

/** Severity levels, in increasing order. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger that writes one JSON object per line. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every entry. */
  child(fields: Record<string, unknown>): Logger;
}

function currentLevel(): LogLevel {
  const raw = (Deno.env.get("LOG_LEVEL") ?? "info").toLowerCase();
  return raw in order ? raw as LogLevel : "info";
}

function serialiseError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    cause: serialiseError(err.cause),
  };
}

/** Creates a JSON-lines logger for a service; `LOG_LEVEL` sets the threshold. */
export function createLogger(service: string, base: Record<string, unknown> = {}): Logger {
  const min = order[currentLevel()];
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service,
      message,
      ...base,
    };
    const traceId = currentTraceId();
    if (traceId) entry.traceId = traceId;
    for (const [k, v] of Object.entries(fields ?? {})) entry[k] = serialiseError(v);
    const line = JSON.stringify(redact(entry)) + "\n";
    const bytes = new TextEncoder().encode(line);
    (level === "error" || level === "warn" ? Deno.stderr : Deno.stdout).writeSync(bytes);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(service, { ...base, ...fields }),
  };
}
