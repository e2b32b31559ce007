/** Builders shared by the domain specs. */

/** The time of every test command unless a test needs another. */
export const AT = "2024-05-01T10:00:00.000Z";

/** AT plus some seconds, as ISO text. */
export function later(seconds: number): string {
  return new Date(Date.parse(AT) + seconds * 1000).toISOString();
}

/** Deterministic UUIDs for tests: id(1) → 00000000-0000-4000-8000-000000000001. */
export function id(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}
