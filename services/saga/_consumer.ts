import type { ConsumerHandler } from "@shared/consumer/mod.ts";
import type { Sql } from "@shared/db/connect.ts";
import type { SagaOptions } from "@shared/domain/order_saga/mod.ts";
import type { Logger } from "@shared/log/mod.ts";
import { withEventSpans } from "@shared/observability/mod.ts";
import type { SagaDeps } from "./_deps.ts";
import { route, type Routed } from "./_inputs.ts";
import { forEachLimit } from "@shared/runtime/for_each_limit.ts";
import { SagaRunner } from "./_runner.ts";
import { CHECKPOINT, saveInstances, unfinishedSagas, upsertInstances } from "./_tables.ts";

/** Options of {@link sagaHandler}. */
export interface SagaHandlerOptions {
  deps: SagaDeps;
  sagaOptions: SagaOptions;
  /** The event store's pool: saga streams, and `saga_instances` outside a batch. */
  sql: Sql;
  logger: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Sagas decided at once within a batch. */
  concurrency: number;
  /** Step commands sent at once. */
  commandsAtOnce: number;
  /** How often deadlines are checked. */
  timerMs: number;
}

/** The saga worker as a consumer's handler, with the runner of its current (or last) term. */
export interface SagaHandler extends ConsumerHandler {
  readonly runner: SagaRunner | undefined;
}

/**
 * The order saga as a reactor on the consumer runtime. When its replica
 * takes the lease it resumes the unfinished sagas (their pending commands
 * are sent again) and arms the deadline timer; each batch feeds every event
 * of an order, its inventory, payment and shipment to the order's saga,
 * appends the decisions to the saga streams (idempotent: each under an id
 * derived from its input event), and records the sagas' rows in the batch's
 * transaction, with the checkpoint. When the lease goes, the timer stops and
 * the commands in flight finish.
 */
export function sagaHandler(options: SagaHandlerOptions): SagaHandler {
  const { deps, logger, concurrency, sql } = options;
  let runner: SagaRunner | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const current = (): SagaRunner => {
    if (!runner) throw new Error("The saga worker has not started");
    return runner;
  };

  return {
    name: CHECKPOINT,
    get runner() {
      return runner;
    },
    async onStart(from) {
      const started = new SagaRunner({
        deps,
        sagaOptions: options.sagaOptions,
        logger,
        retryBaseMs: options.retryBaseMs,
        retryMaxMs: options.retryMaxMs,
        commandsAtOnce: options.commandsAtOnce,
        save: (rows) => saveInstances(sql, rows),
      });
      runner = started;
      try {
        const unfinished = await unfinishedSagas(sql);
        await forEachLimit(unfinished, concurrency, ({ orderId }) => started.handle(orderId, null));
        await started.flush();
        logger.info("resumed", { sagas: unfinished.length, running: started.running, from });
      } catch (err) {
        await started.stop();
        throw err;
      }
      timer = setInterval(() => started.tick(), options.timerMs);
    },
    // Only the events of orders and their sagas: the rest commit nothing (see ConsumerHandler).
    handles: (event) => route(event) !== null,
    async apply(tx, batch, scope) {
      const sagas = current();
      const bySaga = new Map<string, Routed[]>();
      for (const event of batch) {
        const routed = route(event);
        if (!routed) continue;
        const list = bySaga.get(routed.orderId);
        if (list) list.push(routed);
        else bySaga.set(routed.orderId, [routed]);
      }
      await forEachLimit([...bySaga.values()], concurrency, async (inputs) => {
        for (const { orderId, input, event } of inputs) {
          await withEventSpans(
            `saga ${event.type}`,
            [event],
            // Observed now: a step's time runs from when the worker saw the last one end.
            () => sagas.handle(orderId, input && { ...input, at: deps.now() }, event),
          );
        }
      });
      const rows = sagas.takeDirty();
      scope.onRollback(() => sagas.returnDirty(rows));
      await upsertInstances(tx, rows);
    },
    async onClose() {
      clearInterval(timer);
      timer = undefined;
      const ending = runner;
      if (!ending) return;
      await ending.stop();
      await ending.flush().catch((err) => logger.warn("cannot record sagas", { error: err }));
    },
  };
}
