/**
 * `deno task projections:replay-dead-letters [name ...]`: retries the dead
 * letters of the named projections (all when none is named), after a fix.
 * Those that apply are removed; those that throw again stay, one attempt
 * more, and the task exits with code 1. Databases as for `projections:status`.
 */
import { connect } from "@shared/db/connect.ts";
import { upcasters } from "@shared/domain/upcasters.ts";
import { EventStore } from "@shared/event_store/mod.ts";
import { createLogger } from "@shared/log/mod.ts";
import { operationsTarget, selectProjections } from "@shared/projection/operations.ts";
import { replayDeadLetters } from "@shared/projection/replay.ts";
import { readModelProjections } from "@shared/read_models/mod.ts";

let code = 0;
try {
  const target = operationsTarget();
  const projections = selectProjections(
    readModelProjections,
    Deno.args.filter((a) => !a.startsWith("--")),
  );
  const sql = connect(target.eventStoreUrl, { max: 2, applicationName: "projections-replay" });
  const store = new EventStore(sql, { upcasters });
  const logger = createLogger("projections-replay");
  try {
    for (const projection of projections) {
      const r = await replayDeadLetters(projection, {
        store,
        readModelUrl: target.readModelUrl,
        logger,
      });
      console.log(`${r.projection}: ${r.replayed} replayed, ${r.failed.length} still failing`);
      for (const f of r.failed) {
        console.log(`  ${f.position.transactionId}:${f.position.id} ${f.eventType}: ${f.error}`);
      }
      if (r.failed.length > 0) code = 1;
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
