import { ConfigError } from "@shared/config/mod.ts";

/** The fewest bytes an HS256 secret must carry in production (the hash's own size). */
export const MIN_SECRET_BYTES = 32;
/** The least entropy, in bits, an HS256 secret's characters must show in production. */
export const MIN_SECRET_BITS = 128;

/** A production secret too weak to sign tokens with; its message never holds the value. */
export class WeakSecretError extends ConfigError {
  override readonly name = "WeakSecretError";
}

/** The bytes a secret stands for: hex and base64 text decode, anything else is its UTF-8. */
function decodedLength(secret: string): number {
  if (/^(?:[0-9a-f]{2})+$/i.test(secret)) return secret.length / 2;
  const b64 = /^[A-Za-z0-9+/_-]+={0,2}$/.test(secret) && secret.length % 4 !== 1;
  if (b64) return Math.floor(secret.replace(/=+$/, "").length * 3 / 4);
  return new TextEncoder().encode(secret).length;
}

/** Shannon entropy of the characters' frequencies, times the length: an upper bound. */
function entropyBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** The shortest period the text repeats with (`abcabcab` → 3), or its length. */
function period(secret: string): number {
  for (let p = 1; p <= secret.length / 2; p++) {
    let repeats = true;
    for (let i = p; i < secret.length && repeats; i++) repeats = secret[i] === secret[i - p];
    if (repeats) return p;
  }
  return secret.length;
}

/**
 * Why `secret` is too weak to sign HS256 tokens in production, or undefined
 * when it is strong enough. Strong means at least 32 bytes once hex or
 * base64 is decoded, at least 10 distinct characters, no short repeating
 * pattern, letters mixed with digits or both cases, and a
 * character-frequency entropy of at least 128 bits. These
 * are estimates: `openssl rand -base64 32` passes, `aaaa…`, `abcabc…` and
 * `password…` fail. The reason never quotes the secret.
 */
export function secretWeakness(secret: string): string | undefined {
  if (decodedLength(secret) < MIN_SECRET_BYTES) {
    return `must be at least ${MIN_SECRET_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`;
  }
  if (new Set(secret).size < 10) return "has too few distinct characters to be random";
  if (period(secret) < secret.length / 2) return "repeats a short pattern";
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(secret)).length;
  // Random hex or base64 mixes letters and digits; words joined by dashes do not.
  if (classes < 2) return "must mix letters and digits, as random hex or base64 does";
  if (entropyBits(secret) < MIN_SECRET_BITS) {
    return `is too predictable: below ${MIN_SECRET_BITS} bits of entropy`;
  }
  return undefined;
}

/**
 * Throws a WeakSecretError naming `variable` (never the value) when `secret`
 * is too weak for production; see {@link secretWeakness}.
 */
export function assertStrongSecret(variable: string, secret: string): void {
  const weakness = secretWeakness(secret);
  if (weakness) throw new WeakSecretError(`${variable} ${weakness}`);
}
