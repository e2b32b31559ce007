/**
 * `deno task certs [--out DIR] [--days N] [--force]`: makes a development
 * certificate authority and, signed by it, a server certificate (for the
 * gateway's HTTPS and the command and query gRPC servers) and a client
 * certificate (the gateway's identity under mutual TLS), with openssl.
 *
 * Files in DIR (default `.data/certs`, git-ignored): `ca.crt` `ca.key`
 * `server.crt` `server.key` `client.crt` `client.key`. The server
 * certificate names localhost, 127.0.0.1, ::1 and the compose service names.
 * These are for development and tests only: the CA key sits beside them.
 */
import { parseArgs } from "node:util";

/** Names the server certificate is valid for: local runs and compose's service names. */
export const SERVER_NAMES = [
  "DNS:localhost",
  "IP:127.0.0.1",
  "IP:::1",
  "DNS:gateway",
  "DNS:command",
  "DNS:query",
];

/** Thrown when openssl is missing or refuses; the message says what to do. */
export class CertsError extends Error {
  override readonly name: string = "CertsError";
}

async function openssl(args: string[], cwd: string): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CertsError(
        "openssl is not installed (not found on PATH): install it (apt-get install openssl, " +
          "brew install openssl) and run deno task certs again",
      );
    }
    throw err;
  }
  if (!output.success) {
    const detail = new TextDecoder().decode(output.stderr).trim().split("\n")[0];
    throw new CertsError(`openssl ${args[0]} failed: ${detail}`);
  }
}

/** A P-256 key and a certificate for it signed by the CA in `dir`. */
async function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  days: number,
): Promise<void> {
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions);
  await openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subject,
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    String(days),
    "-sha256",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ], dir);
  await Deno.remove(`${dir}/${name}.csr`);
  await Deno.remove(`${dir}/${name}.ext`);
}

/** Options of {@link makeDevCerts}. */
export interface DevCertsOptions {
  /** Validity in days; default 365. */
  days?: number;
  /** Replace certificates already in the folder; default false. */
  force?: boolean;
}

/**
 * Writes a development CA, a server and a client certificate into `dir`.
 * Returns false, writing nothing, when `dir` already holds a CA and `force`
 * is not set.
 */
export async function makeDevCerts(dir: string, options: DevCertsOptions = {}): Promise<boolean> {
  const days = options.days ?? 365;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const exists = await Deno.stat(`${dir}/ca.crt`).then(() => true, () => false);
  if (exists && !options.force) return false;
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    String(days),
    "-sha256",
    "-subj",
    "/CN=cqrs development CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  const leaf = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n";
  await issue(
    dir,
    "server",
    "/CN=cqrs server",
    `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=${SERVER_NAMES.join(",")}\n`,
    days,
  );
  await issue(
    dir,
    "client",
    "/CN=gateway",
    `${leaf}extendedKeyUsage=clientAuth\nsubjectAltName=DNS:gateway\n`,
    days,
  );
  for (const key of ["ca.key", "server.key", "client.key"]) {
    await Deno.chmod(`${dir}/${key}`, 0o600);
  }
  return true;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: ".data/certs" },
      days: { type: "string", default: "365" },
      force: { type: "boolean", default: false },
    },
  });
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    console.error("--days must be a whole number of days from 1 to 3650");
    Deno.exit(1);
  }
  try {
    const made = await makeDevCerts(values.out, { days, force: values.force });
    if (!made) {
      console.log(`certificates already in ${values.out}; --force makes new ones`);
    } else {
      console.log(`development CA, server and client certificates written to ${values.out}`);
    }
  } catch (err) {
    if (!(err instanceof CertsError)) throw err;
    console.error(err.message);
    Deno.exit(1);
  }
}
