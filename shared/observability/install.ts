/**
 * Installs and removes the process's tracer provider: `tracing.ts` for the
 * services, `@shared/testing/observability.ts` for tests.
 */
import { context, propagation, trace, type TracerProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/** A tracer provider as far as installing and removing it goes. */
export interface InstallableProvider extends TracerProvider {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

let installed: InstallableProvider | undefined;

/** True while a tracer provider is installed in this process. */
export function isInstalled(): boolean {
  return installed !== undefined;
}

/**
 * Installs the provider as the global one, with an AsyncLocalStorage context
 * manager (so the active span follows awaits) and the W3C trace-context
 * propagator (so `traceparent` strings can be written and read).
 */
export function install(provider: InstallableProvider): void {
  if (installed) throw new Error("Cannot install tracing: a tracer provider is already installed");
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  installed = provider;
}

/** Flushes and shuts the installed provider down and removes the globals; a no-op when none is installed. */
export async function uninstall(): Promise<void> {
  const provider = installed;
  if (!provider) return;
  installed = undefined;
  trace.disable();
  propagation.disable();
  context.disable();
  try {
    await provider.forceFlush();
  } finally {
    await provider.shutdown();
  }
}
