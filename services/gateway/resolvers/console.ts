import { parseJson } from "@shared/runtime/json.ts";
import { isRole } from "@shared/auth/mod.ts";
import { ForbiddenError, UnavailableError, ValidationError } from "@shared/errors/mod.ts";
import { DEVELOPMENT_SECRET, signToken } from "../auth.ts";
import type { Context } from "../context.ts";
import type { FeedEvent } from "../feed.ts";
import { diffStates } from "../state_diff.ts";
import { requireRole } from "./_access.ts";

/** How long a development sign-in lasts. */
const DEVELOPMENT_TOKEN_TTL_S = 3600;

/** What the console resolvers need from the gateway's configuration. */
export interface ConsoleSettings {
  mode: "development" | "production";
  /** True only in development mode with the development secret (no JWT_SECRET, no JWKS). */
  developmentSignIn: boolean;
  /** Whether projection operations are configured. */
  operations: boolean;
}

interface StoredEvent {
  position: string;
  aggregateId: string;
  aggregateType: string;
  eventType: string;
}

function audit<E extends { eventType: string }>(event: E): E & { type: string } {
  return { ...event, type: event.eventType };
}

function jsonOrNull(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return null;
  }
}

function positionOf(text: string): [bigint, bigint] {
  const [tx = "0", id = "0"] = text.split(":");
  return [BigInt(tx), BigInt(id)];
}

function after(a: [bigint, bigint], b: [bigint, bigint]): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

interface FeedFilter {
  aggregateType?: string | null;
  type?: string | null;
  aggregateId?: string | null;
}

/**
 * Every event committed after the subscription starts, read from the event
 * store's audit trail in global order. The change feed only wakes it: a
 * projection's notice means new events are committed, which it then pages
 * through from its cursor, so an event no projection announces still shows.
 *
 * A generator that waits inside its loop takes a `return()` only at its next
 * `yield`, and a filter may never match again: the stream's `return()`
 * therefore ends the wake-ups first, so a subscriber that went away stops
 * listening (and reading pages) at once.
 */
function appendedEvents(ctx: Context, filter: FeedFilter): AsyncIterableIterator<StoredEvent> {
  if (!ctx.feed) {
    throw new UnavailableError(
      "The live event feed is unavailable: the gateway has no change feed",
    );
  }
  const wakeups = ctx.feed.events(() => true);
  let open = true;
  const events = pageThrough(ctx, filter, wakeups, () => open);
  const iterator: AsyncIterableIterator<StoredEvent> = {
    next: () => events.next(),
    async return() {
      open = false;
      await wakeups.return?.();
      return await events.return(undefined);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

async function* pageThrough(
  ctx: Context,
  filter: FeedFilter,
  wakeups: AsyncIterableIterator<FeedEvent>,
  open: () => boolean,
): AsyncGenerator<StoredEvent, undefined> {
  let cursor: [bigint, bigint] | undefined;
  const matches = (e: StoredEvent) =>
    (!filter.aggregateType || e.aggregateType === filter.aggregateType) &&
    (!filter.type || e.eventType === filter.type) &&
    (!filter.aggregateId || e.aggregateId === filter.aggregateId);
  try {
    for await (const notice of wakeups) {
      const seen: [bigint, bigint] = [
        BigInt(notice.position.transactionId),
        BigInt(notice.position.id),
      ];
      if (cursor && !after(seen, cursor)) continue;
      // The first notice's whole transaction is the start: its events committed together.
      cursor ??= [seen[0], 0n];
      for (let more = true; more;) {
        const page = await ctx.clients.eventLog.listEvents(
          { after: `${cursor[0]}:${cursor[1]}`, limit: 500 },
          { metadata: ctx.metadata },
        );
        for (const event of page.events) {
          cursor = positionOf(event.position);
          if (matches(event)) yield event;
        }
        more = page.nextAfter !== undefined && open();
      }
    }
  } finally {
    await wakeups.return?.();
  }
}

/** Time travel, the live event feed and the development sign-in. */
export function consoleResolvers(settings: ConsoleSettings) {
  return {
    Query: {
      consoleInfo: () => settings,
      aggregateHistory: async (
        _: unknown,
        args: { id: string; asOfVersion?: number | null; asOf?: string | null },
        ctx: Context,
      ) => {
        requireRole(ctx, "staff", "time travel");
        const history = await ctx.clients.eventLog.aggregateHistory({
          aggregateId: args.id,
          ...(args.asOfVersion != null ? { asOfVersion: args.asOfVersion } : {}),
          ...(args.asOf != null ? { asOf: args.asOf } : {}),
        }, { metadata: ctx.metadata });
        let previous: unknown = null;
        const versions = history.entries.map(({ event, state }) => {
          const parsed = jsonOrNull(state);
          const changes = diffStates(previous, parsed);
          previous = parsed;
          return { version: event.version, event: audit(event), state, changes };
        });
        return { ...history, aggregateId: args.id, versions };
      },
    },
    Mutation: {
      developmentSignIn: async (
        _: unknown,
        args: { role: string; subject?: string | null },
      ) => {
        if (!settings.developmentSignIn) {
          throw new ForbiddenError(
            settings.mode === "production"
              ? "Development sign-in is off: the gateway runs in production mode"
              : "Development sign-in is off: the gateway verifies tokens with JWT_SECRET or a JWKS",
          );
        }
        if (!isRole(args.role) || args.role === "anonymous") {
          throw new ValidationError([{
            field: "role",
            message: "must be customer, staff or admin",
          }]);
        }
        // Customer ids are UUIDs (an order names its customer), so a fresh one serves every role.
        const subject = args.subject ?? crypto.randomUUID();
        if (!/^[\x21-\x7e]{1,256}$/.test(subject)) {
          throw new ValidationError([
            { field: "subject", message: "must be 1 to 256 printable ASCII characters" },
          ]);
        }
        const token = await signToken({ sub: subject, roles: [args.role] }, {
          secret: DEVELOPMENT_SECRET,
          ttlSeconds: DEVELOPMENT_TOKEN_TTL_S,
        });
        const expiresAt = new Date(Date.now() + DEVELOPMENT_TOKEN_TTL_S * 1000).toISOString();
        return { token, subject, role: args.role, expiresAt };
      },
    },
    Subscription: {
      eventAppended: {
        subscribe: (_: unknown, args: FeedFilter, ctx: Context) => {
          requireRole(ctx, "admin", "the live event feed");
          return appendedEvents(ctx, args);
        },
        resolve: (event: StoredEvent & { eventType: string }) => audit(event),
      },
    },
  };
}
