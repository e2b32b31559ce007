/**
 * Observability for every service: OpenTelemetry tracing (one trace from the
 * gateway through gRPC and event metadata to the projector and the saga),
 * Prometheus metrics, and the trace id and redaction for the JSON logs.
 *
 * Tracing is off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (then spans go
 * to `<endpoint>/v1/traces` over OTLP HTTP); off, every helper just runs its
 * function. Metrics are always on, in one registry per process.
 *
 * ## main.ts of every service
 *
 * ```ts
 * await initTracing("command");                       // first thing
 * const metrics = startMetricsServer(config.METRICS_PORT); // not the gateway: it serves /metrics itself
 * runUntilSignal(logger, async () => {
 *   await service.stop();
 *   await metrics.stop();
 *   await shutdownTracing();                          // flushes the last spans
 * });
 * ```
 *
 * ## gRPC server (shared/grpc/server.ts, `unaryHandler`)
 *
 * ```ts
 * const [service, method] = [binding.contract.service, protoMethodName(key)];
 * observeServerCall({ service, method, traceparent: context.metadata.traceparent }, () => {
 *   // Handlers that copy metadata into events then point at this server span.
 *   const traceparent = injectTraceparent();
 *   const ctx = traceparent ? { ...context, metadata: { ...context.metadata, traceparent } } : context;
 *   return handler(parseWith(method.input, call.request), ctx);
 * })
 * ```
 * Command handlers: wrap in `observeCommand(command.type, () => ...)`, put
 * `traceparent: injectTraceparent() ?? ctx.metadata.traceparent` in the event
 * metadata, and after a non-duplicate append `countEventsPublished(types)`.
 * Query handlers: `observeQuery("categoryById", () => ...)`. Pools:
 * `observeDbPool("event_store", () => ({ max: 10, active: inFlight }))`.
 *
 * ## gRPC client (shared/grpc/client.ts, around each `attempt`)
 *
 * ```ts
 * const attempt = () =>
 *   observeClientCall({ service: contract.service, method: name }, (traceparent) =>
 *     new Promise((resolve, reject) => {
 *       const metadata = toGrpcMetadata({ ...callOptions.metadata, ...(traceparent ? { traceparent } : {}) });
 *       raw[name]!.call(raw, request, metadata, { deadline }, ...);
 *     }));
 * watchCircuit("command", policies.command);          // circuit_breaker_state{service}
 * ```
 *
 * ## HTTP gateway (services/gateway/app.ts)
 *
 * ```ts
 * async fetch(request) {
 *   const { pathname } = new URL(request.url);
 *   if (pathname === "/metrics") return metricsHandler();
 *   if (pathname === "/health") return health();
 *   return observeHttpRequest(request, () => handle(request)); // SERVER span + latency histogram
 * }
 * const runtime = startRuntimeMetrics();               // event-loop lag; runtime.stop() in close()
 * countCacheLookup("category", hit);                   // in the read-through cache
 * ```
 *
 * ## Event subscriber (projector, saga)
 *
 * ```ts
 * handle: (batch) => withEventSpans(`project ${projection.name}`, batch, () => apply(batch)),
 * setProjectionLag(projection.name, { events, seconds });  // after each batch or poll
 * setProjectionDeadLetters(projection.name, count);
 * // saga, per event: spans, then commands sent with observeClientCall join the same trace
 * await withEventSpans(`saga ${event.type}`, [event], () => saga.handle(event));
 * countSaga("order", "started"); recordSagaStep("reserve_inventory", seconds);
 * ```
 *
 * ## Logger (shared/log/mod.ts)
 *
 * ```ts
 * const traceId = currentTraceId();
 * if (traceId) entry.traceId = traceId;
 * const line = JSON.stringify(redact(entry)) + "\n";
 * ```
 *
 * ## Tests
 *
 * From `@shared/testing/observability.ts` (kept out of this module so that
 * services do not load the SDK): `await using tracing = installTestTracing();`
 * then `tracing.spans()`; `sampleValue(await metricsText(), name, labels)`
 * reads one sample of a scrape.
 *
 * @module
 */

export {
  contextFromTraceparent,
  initTracing,
  injectTraceparent,
  shutdownTracing,
  tracingEnabled,
  withRemoteParent,
  withSpan,
} from "./tracing.ts";
export type { Attributes, Span } from "./tracing.ts";
export { type TracedEvent, withEventSpans } from "./events.ts";
export { grpcCodeOf, observeClientCall, observeServerCall, type RpcInfo } from "./grpc.ts";
export { type HttpObserveOptions, observeHttpRequest } from "./http.ts";
export {
  metricsHandler,
  type MetricsServer,
  type MetricsServerOptions,
  metricsText,
  registry,
  startMetricsServer,
} from "./metrics.ts";
export {
  type CircuitSource,
  type CircuitStateName,
  countCacheLookup,
  countEventsPublished,
  countSaga,
  observeCommand,
  observeQuery,
  outcomeOf,
  type ProjectionLag,
  recordSagaStep,
  type SagaTransition,
  setCircuitState,
  setProjectionDeadLetters,
  setProjectionLag,
  trackSubscription,
  watchCircuit,
  zeroSagaMetrics,
} from "./app_metrics.ts";
export {
  observeDbPool,
  type PoolUsage,
  type RuntimeMetrics,
  type RuntimeMetricsOptions,
  startRuntimeMetrics,
} from "./runtime_metrics.ts";
export { currentTraceId, redact } from "./log.ts";
