import { ForbiddenError, UnauthenticatedError } from "@shared/errors/mod.ts";
import type { Context } from "../context.ts";

interface EventsArgs {
  aggregateId?: string | null;
  type?: string | null;
  after?: string | null;
  limit?: number | null;
}

/** The audit trail: admins only. */
export const auditResolvers = {
  Query: {
    events: async (_: unknown, args: EventsArgs, ctx: Context) => {
      if (!ctx.principal) {
        throw new UnauthenticatedError(
          "The audit trail needs a signed-in admin: send Authorization: Bearer <token>",
        );
      }
      if (!ctx.principal.roles.includes("admin")) {
        throw new ForbiddenError(
          `User "${ctx.principal.subject}" may not read the audit trail: it needs the admin role`,
        );
      }
      const page = await ctx.clients.eventLog.listEvents({
        ...(args.aggregateId ? { aggregateId: args.aggregateId } : {}),
        ...(args.type ? { eventType: args.type } : {}),
        ...(args.after ? { after: args.after } : {}),
        ...(args.limit != null ? { limit: args.limit } : {}),
      }, { metadata: ctx.metadata });
      return {
        events: page.events.map((e) => ({ ...e, type: e.eventType })),
        nextAfter: page.nextAfter ?? null,
      };
    },
  },
};
