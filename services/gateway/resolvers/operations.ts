import { UnavailableError } from "@shared/errors/mod.ts";
import type { Position } from "@shared/event_store/mod.ts";
import type { Context } from "../context.ts";
import type { Operations, ProjectionJob } from "../operations.ts";
import { requireRole } from "./_access.ts";

/** One service's health, as the console shows it. */
export interface ServiceHealth {
  name: string;
  status: string;
  circuit?: string;
  /** JSON text. */
  detail?: string;
}

function position(p: Position | null): string | null {
  return p ? `${p.transactionId}:${p.id}` : null;
}

function job(j: ProjectionJob) {
  return {
    ...j,
    startedAt: j.startedAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}

/** Projection status, rebuilds and replays, and service health: admins only. */
export function operationsResolvers(
  operations: Operations | undefined,
  health: () => Promise<ServiceHealth[]>,
) {
  const ops = (ctx: Context, what: string): Operations => {
    requireRole(ctx, "admin", what);
    if (!operations) {
      throw new UnavailableError(
        "Projection operations are off: the gateway needs EVENT_STORE_URL and READ_MODEL_URL",
      );
    }
    return operations;
  };
  return {
    Query: {
      projections: async (_: unknown, __: unknown, ctx: Context) =>
        (await ops(ctx, "projection status").status()).map((s) => ({
          projection: s.projection,
          checkpoint: position(s.checkpoint),
          checkpointMovedAt: s.updatedAt?.toISOString() ?? null,
          lagEvents: s.lagEvents,
          lagSeconds: s.lagSeconds,
          deadLetters: s.deadLetters,
          owner: s.owner ? `${s.owner.applicationName} (backend ${s.owner.pid})` : null,
          rebuilding: s.rebuild !== null,
        })),
      deadLetters: async (_: unknown, args: { projection?: string | null }, ctx: Context) =>
        (await ops(ctx, "dead letters").deadLetters(args.projection ?? undefined)).map((d) => ({
          ...d,
          position: position(d.position),
        })),
      projectionJobs: (_: unknown, __: unknown, ctx: Context) =>
        ops(ctx, "projection jobs").jobs().map(job),
      serviceHealth: async (_: unknown, __: unknown, ctx: Context) => {
        requireRole(ctx, "admin", "service health");
        return await health();
      },
    },
    Mutation: {
      rebuildProjection: (_: unknown, args: { projection: string }, ctx: Context) =>
        job(ops(ctx, "a projection rebuild").start("rebuild", args.projection)),
      replayDeadLetters: (_: unknown, args: { projection: string }, ctx: Context) =>
        job(ops(ctx, "a dead-letter replay").start("replay", args.projection)),
    },
  };
}
