/**
 * `deno task projections:rebuild [--batch-size=N] [name ...]`: rebuilds the
 * named projections (all when none is named), one after the other, from the
 * first event, blue-green: into new tables while the old ones serve reads,
 * then swapped in atomically; the live projector carries on from there. A
 * handler that throws fails the rebuild (exit code 1) and leaves the
 * projection as it was. Databases as for `projections:status`.
 */
import { connect } from "@shared/db/connect.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { operationsTarget, selectProjections } from "@shared/projection/operations.ts";
import { rebuildProjection } from "@shared/projection/rebuild.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";

const flag = Deno.args.find((a) => a.startsWith("--batch-size="));
const batchSize = flag ? Number(flag.split("=")[1]) : 5000;
const names = Deno.args.filter((a) => !a.startsWith("--"));
let code = 0;
try {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`Invalid --batch-size "${flag}": expected a positive integer`);
  }
  const target = operationsTarget();
  const projections = selectProjections(readModelProjections, names);
  const sql = connect(target.eventStoreUrl, { max: 4, applicationName: "projections-rebuild" });
  const store = new EventStore(sql, { upcasters });
  const logger = createLogger("projections-rebuild");
  try {
    for (const projection of projections) {
      console.log(`rebuilding ${projection.name}…`);
      try {
        const r = await rebuildProjection(projection, {
          store,
          readModelUrl: target.readModelUrl,
          batchSize,
          logger,
        });
        const rate = Math.round(r.events / Math.max(r.ms, 1) * 1000);
        console.log(
          `${r.projection}: ${r.events} events applied in ${(r.ms / 1000).toFixed(1)} s ` +
            `(${rate}/s), swapped in at ${r.position.transactionId}:${r.position.id}; ` +
            `live writes paused ${r.phases.pausedMs} ms`,
        );
      } catch (err) {
        console.error(`${projection.name}: ${err instanceof Error ? err.message : String(err)}`);
        code = 1;
        break;
      }
    }
  } finally {
    store.close();
    await sql.end();
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  code = 1;
}
Deno.exit(code);
