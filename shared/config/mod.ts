import { z } from "zod";

/** Thrown at start-up when environment variables are missing or malformed. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Parses environment variables with a zod object schema. A variable set to
 * the empty string counts as unset. Every bad variable is named in one
 * error, so an operator fixes them all in one go.
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
    return `  ${name}=${JSON.stringify(env[name] ?? "")}: ${i.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}

/** A TCP port number given as a string. */
export const portVar = z.coerce.number().int().min(0).max(65535);

/** A postgres:// connection URL. */
export const postgresUrlVar = z.string().regex(
  /^postgres(ql)?:\/\//,
  "must be a postgres:// or postgresql:// URL",
);

/** A host:port address. */
export const addressVar = z.string().regex(/^[^\s:]+:\d+$/, "must be host:port");
