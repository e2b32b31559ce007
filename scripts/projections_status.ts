/**
 * `deno task projections:status [--json] [name ...]`: every projection (or
 * those named) with its checkpoint, its lag in events and in seconds, its
 * dead letters, the replica that owns it and any rebuild or replay under way.
 * Databases: EVENT_STORE_URL and READ_MODEL_URL (or DATABASE_URL), else the
 * running `deno task dev`.
 */
import { connect } from "@shared/db/connect.ts";
import { operationsTarget, selectProjections } from "@shared/projection/operations.ts";
import { formatStatus, projectionStatus } from "@shared/projection/status.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";

const json = Deno.args.includes("--json");
const names = Deno.args.filter((a) => !a.startsWith("--"));
try {
  const target = operationsTarget();
  const projections = selectProjections(readModelProjections, names);
  const readModel = connect(target.readModelUrl, { max: 2, applicationName: "projections-status" });
  const eventStore = connect(target.eventStoreUrl, {
    max: 4,
    applicationName: "projections-status",
  });
  try {
    const rows = await projectionStatus(readModel, eventStore, projections.map((p) => p.name));
    console.log(json ? JSON.stringify(rows, null, 2) : formatStatus(rows));
  } finally {
    await Promise.all([readModel.end(), eventStore.end()]);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  Deno.exit(1);
}
