/**
 * The operator console's part of the schema: time travel over an aggregate,
 * the live event feed, projection operations, service health and the
 * development sign-in. Kept apart from the public API's SDL; the gateway
 * serves both as one schema.
 */
export const consoleTypeDefs = /* GraphQL */ `
  "One field that differs between two states of an aggregate."
  type FieldChange {
    "A dotted path into the state, e.g. price or items.0.quantity."
    path: String!
    "The value before, as JSON text (absent: the field did not exist)."
    before: String
    "The value after, as JSON text (absent: the field was removed)."
    after: String
  }

  "One event of an aggregate's history with the state the aggregate's evolve folds to after it."
  type HistoryVersion {
    version: Int!
    event: AuditEvent!
    "The state after this event, as JSON text."
    state: String!
    "What this event changed in the state."
    changes: [FieldChange!]!
  }

  "An aggregate through time, folded by the command side's own evolve from the event store."
  type AggregateHistory {
    aggregateId: ID!
    "Category, Product, Inventory, Order, OrderSaga, Payment or Shipment; empty for an unknown id."
    aggregateType: String!
    versions: [HistoryVersion!]!
    "The version the state is as of (0: before the first event)."
    version: Int!
    "The state as of the requested version or moment, as JSON text."
    state: String!
    "True when the stream has more events than versions holds (1,000)."
    truncated: Boolean!
  }

  "A projection's standing, as deno task projections:status shows it."
  type ProjectionStatus {
    projection: String!
    "transaction:position; null before its first batch."
    checkpoint: String
    checkpointMovedAt: String
    lagEvents: Int!
    lagSeconds: Float!
    deadLetters: Int!
    "The replica applying it (its lease), if any."
    owner: String
    rebuilding: Boolean!
  }

  "An event a projection could not apply."
  type DeadLetter {
    projection: String!
    position: String!
    eventType: String!
    aggregateId: ID!
    error: String!
    attempts: Int!
  }

  "A rebuild or dead-letter replay started from the console."
  type ProjectionJob {
    id: ID!
    "rebuild or replay."
    kind: String!
    projection: String!
    "running, done or failed."
    status: String!
    "What the job is doing or did, in words."
    phase: String!
    "Events applied (rebuild) or dead letters replayed so far."
    done: Int!
    "Events to apply, or dead letters to replay, when it started."
    total: Int!
    startedAt: String!
    finishedAt: String
    error: String
  }

  "One service's health as the gateway sees it."
  type ServiceHealth {
    name: String!
    "SERVING, NOT_SERVING, UNKNOWN, ok, degraded, unreachable, in_sync, syncing or off."
    status: String!
    "closed, open or half-open, for the services the gateway calls."
    circuit: String
    "More detail, as JSON text."
    detail: String
  }

  "A development sign-in: a short-lived token for a chosen role."
  type DevelopmentSession {
    token: String!
    subject: String!
    role: String!
    expiresAt: String!
  }

  "What the console may offer on this gateway."
  type ConsoleInfo {
    "development or production."
    mode: String!
    "Whether developmentSignIn works here."
    developmentSignIn: Boolean!
    "Whether projection operations are configured (they need EVENT_STORE_URL)."
    operations: Boolean!
  }

  extend type Query {
    consoleInfo: ConsoleInfo!
    "Time travel (staff and admins): an aggregate's events and its state as of a version or a moment (ISO 8601)."
    aggregateHistory(id: ID!, asOfVersion: Int, asOf: String): AggregateHistory!
    "Projection status (admins)."
    projections: [ProjectionStatus!]!
    "Dead letters, of one projection or all (admins)."
    deadLetters(projection: String): [DeadLetter!]!
    "Rebuilds and replays started since the gateway started (admins)."
    projectionJobs: [ProjectionJob!]!
    "The health of every service (admins)."
    serviceHealth: [ServiceHealth!]!
  }

  extend type Mutation {
    "Development mode only: a token for the chosen role (customer, staff or admin)."
    developmentSignIn(role: String!, subject: String): DevelopmentSession!
    "Starts a blue-green rebuild of a projection (admins); follow it in projectionJobs."
    rebuildProjection(projection: String!): ProjectionJob!
    "Starts a replay of a projection's dead letters (admins); follow it in projectionJobs."
    replayDeadLetters(projection: String!): ProjectionJob!
  }

  extend type Subscription {
    "Events as they commit, with their metadata (admins); filters combine."
    eventAppended(aggregateType: String, type: String, aggregateId: ID): AuditEvent!
  }
`;
