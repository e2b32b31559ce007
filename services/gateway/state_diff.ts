/** One field that differs between two states. */
export interface FieldChange {
  path: string;
  /** JSON text; undefined when the field did not exist. */
  before?: string;
  /** JSON text; undefined when the field was removed. */
  after?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function walk(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) {
      walk(path ? `${path}.${key}` : key, before[key], after[key], out);
    }
    return;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return;
  out.push({
    path: path || "(state)",
    ...(before !== undefined ? { before: JSON.stringify(before) } : {}),
    ...(after !== undefined ? { after: JSON.stringify(after) } : {}),
  });
}

/**
 * The fields that differ between two JSON values, as dotted paths into
 * nested objects and arrays; a value that appears or disappears as a whole
 * (null before creation) is one change at "(state)".
 */
export function diffStates(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk("", before, after, out);
  return out;
}
