import { z } from "zod";
import { addressProblem } from "./address.ts";
import { describeValue } from "./_secrets.ts";

export { isSecretVariable, maskUrlCredentials } from "./_secrets.ts";

/** Thrown at start-up when environment variables are missing or malformed. */
export class ConfigError extends Error {
  override readonly name: string = "ConfigError";
}

/**
 * Parses environment variables with a zod object schema. A variable set to
 * the empty string counts as unset. Every bad variable is named in one
 * error, so an operator fixes them all in one go; the value is quoted only
 * when it is no secret, and a URL's password is masked.
 */
export function loadConfig<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): z.infer<S> {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const name = i.path.join(".");
    return `${name}${describeValue(name, env[name] ?? "")}: ${i.message}`;
  });
  // One bad variable, one line; several, one line each.
  const detail = lines.length === 1 ? ` ${lines[0]}` : `\n  ${lines.join("\n  ")}`;
  throw new ConfigError(`Invalid configuration:${detail}`);
}

/**
 * {@link loadConfig} for a service's `main.ts`: a bad configuration prints
 * its message (no stack trace, no secret) on stderr and exits with status 1.
 */
export function loadConfigOrExit<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): z.infer<S> {
  try {
    return loadConfig(schema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}

/** A TCP port number given as a string. */
export const portVar = z.coerce.number().int().min(0).max(65535);

/** A postgres:// connection URL. */
export const postgresUrlVar = z.string().regex(
  /^postgres(ql)?:\/\//,
  "must be a postgres:// or postgresql:// URL",
);

/**
 * Where a gRPC service is: `host:port`, a comma-separated list of
 * `ip:port` replicas (`127.0.0.1:50051,127.0.0.1:50061`), or a DNS name
 * whose records are the replicas (`dns:///command.cqrs.svc:50051`).
 */
export const addressVar = z.string().superRefine((value, ctx) => {
  const problem = addressProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
