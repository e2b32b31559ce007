/**
 * The public integration events: a versioned contract (zod) apart from the
 * internal domain events, and the mapping from the latter to the former.
 * The relay (services/relay) publishes them to NATS JetStream.
 */
export {
  INTEGRATION_AGGREGATES,
  INTEGRATION_DATA,
  INTEGRATION_VERSION,
  IntegrationEvent,
  type IntegrationEventType,
  subjectOf,
} from "./events.ts";
export { IntegrationMappingError, toIntegrationEvent } from "./map.ts";
