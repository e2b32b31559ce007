import type { z } from "zod";
import { core, def, shapeOf } from "@shared/grpc/zod_shape.ts";

/**
 * A command's answer in the shape of a query view: the fields of `view` (an
 * object schema of the query contract) that `source` holds, with nested
 * objects and lists of objects picked the same way, and null or absent
 * fields left out. So a field that the aggregate's state and the view both
 * name reaches the answer with no code of its own; a field the view names
 * in another form (money in cents, say) is given in `source` already
 * converted.
 */
export function pickView(
  view: z.ZodType,
  source: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shapeOf(view))) {
    const value = source[key];
    if (value === undefined || value === null) continue;
    picked[key] = pickValue(core(field), value);
  }
  return picked;
}

function pickValue(schema: z.ZodType, value: unknown): unknown {
  const d = def(schema);
  if (d.type === "object" && isRecord(value)) return pickView(schema, value);
  if (d.type === "array" && Array.isArray(value)) {
    const element = core(d.element!);
    return value.map((item) => pickValue(element, item));
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
