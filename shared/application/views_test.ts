import assert from "node:assert/strict";
import { z } from "zod";
import { pickView } from "./views.ts";

const Line = z.object({ sku: z.string(), quantity: z.number().int() });
const View = z.object({
  id: z.string(),
  note: z.string().optional(),
  archived: z.boolean(),
  address: z.object({ city: z.string() }),
  lines: z.array(Line),
  tags: z.array(z.string()),
});

Deno.test("pickView keeps the view's fields, nested ones too, and leaves out null and absent ones", () => {
  const state = {
    id: "p1",
    note: null,
    archived: false,
    deleted: false,
    address: { city: "Lyon", internal: 1 },
    lines: [{ sku: "a", quantity: 2, cents: 500 }],
    tags: ["x"],
  };
  assert.deepEqual(pickView(View, state), {
    id: "p1",
    archived: false,
    address: { city: "Lyon" },
    lines: [{ sku: "a", quantity: 2 }],
    tags: ["x"],
  });
});

Deno.test("a field added to both the state and the view reaches the answer", () => {
  const Wider = View.extend({ rating: z.number().int() });
  assert.equal(pickView(Wider, { id: "p1", rating: 4 }).rating, 4);
  assert.equal(pickView(View, { id: "p1", rating: 4 }).rating, undefined);
});
