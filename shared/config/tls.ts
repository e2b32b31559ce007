import { createPrivateKey, X509Certificate } from "node:crypto";
import { z } from "zod";

/** A problem with a configured variable, as a superRefine reports it. */
export type ReportIssue = (variable: string, message: string) => void;

function readPem(path: string, ctx: z.RefinementCtx): string | typeof z.NEVER {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    const message = err instanceof Deno.errors.NotFound
      ? "no such file; set it to the path of a PEM file (`deno task certs` makes development ones)"
      : err instanceof Deno.errors.PermissionDenied
      ? "the file is not readable by this process; fix its owner or permissions"
      : err instanceof Deno.errors.IsADirectory
      ? "is a directory; set it to the path of a PEM file"
      : `cannot read the file (${err instanceof Error ? err.name : "unknown error"})`;
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  }
}

/** The path of a PEM certificate (chain); parses to the file's text, checked to hold one. */
export const certificateFileVar = z.string().transform((path, ctx) => {
  const pem = readPem(path, ctx);
  if (typeof pem !== "string") return z.NEVER;
  try {
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no certificate");
    new X509Certificate(pem);
    return pem;
  } catch {
    ctx.addIssue({
      code: "custom",
      message: "holds no readable PEM certificate (expected -----BEGIN CERTIFICATE-----)",
    });
    return z.NEVER;
  }
});

/** The path of an unencrypted PEM private key; parses to the file's text, checked to hold one. */
export const privateKeyFileVar = z.string().transform((path, ctx) => {
  const pem = readPem(path, ctx);
  if (typeof pem !== "string") return z.NEVER;
  try {
    createPrivateKey(pem);
    return pem;
  } catch {
    ctx.addIssue({
      code: "custom",
      message: "holds no readable private key (expected an unencrypted PEM key)",
    });
    return z.NEVER;
  }
});

/**
 * Checks that a certificate variable and a key variable are set together and
 * that the key belongs to the certificate, so a wrong pair fails at start-up
 * rather than at the first handshake.
 */
export function checkKeyPair(
  config: Record<string, unknown>,
  certVariable: string,
  keyVariable: string,
  report: ReportIssue,
): void {
  const cert = config[certVariable];
  const key = config[keyVariable];
  if (cert === undefined && key === undefined) return;
  if (typeof key !== "string") {
    report(keyVariable, `is required when ${certVariable} is set`);
    return;
  }
  if (typeof cert !== "string") {
    report(certVariable, `is required when ${keyVariable} is set`);
    return;
  }
  try {
    if (new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) return;
  } catch { /* reported below */ }
  report(keyVariable, `does not belong to the certificate in ${certVariable}`);
}
