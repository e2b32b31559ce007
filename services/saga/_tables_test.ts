import assert from "node:assert/strict";
import { createTestDatabases } from "@shared/testing/db.ts";
import { type InstanceRow, saveInstances, unfinishedSagas } from "./_tables.ts";

function row(i: number, version: number, status: string): InstanceRow {
  const hex = i.toString(16).padStart(12, "0");
  return {
    sagaId: `00000000-0000-4000-8000-${hex}`,
    orderId: `10000000-0000-4000-8000-${hex}`,
    status,
    version,
    deadline: status === "completed"
      ? null
      : new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString(),
  };
}

Deno.test("saga_instances takes 20,000 sagas in one write, and a row never moves back a version", async () => {
  const db = await createTestDatabases();
  try {
    // More than 65,535 / 5: at five parameters a row, the write never came back.
    const many = Array.from({ length: 20_000 }, (_, i) => row(i, 2, "processing"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      saveInstances(db.eventStore, many),
      new Promise((_, reject) =>
        timer = setTimeout(() => reject(new Error("the write did not come back in 30 s")), 30_000)
      ),
    ]).finally(() => clearTimeout(timer));
    assert.equal((await unfinishedSagas(db.eventStore)).length, 20_000);

    await saveInstances(db.eventStore, [row(1, 3, "completed"), row(2, 1, "completed")]);
    const rows = await db.eventStore<{ status: string; version: number; deadline: Date | null }[]>`
      SELECT status, version, deadline FROM saga_instances WHERE saga_id IN (${
      row(1, 0, "").sagaId
    },
        ${row(2, 0, "").sagaId}) ORDER BY saga_id`;
    assert.deepEqual(rows.map((r) => [r.status, r.version, r.deadline === null]), [
      ["completed", 3, true],
      ["processing", 2, false],
    ]);
    assert.equal((await unfinishedSagas(db.eventStore)).length, 19_999);
  } finally {
    await db.drop();
  }
});
