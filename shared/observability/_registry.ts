import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The one Prometheus registry of this process; every metric of this library lives in it. */
export const registry: Registry = new Registry();

/** Latency buckets in seconds, from 1 ms to 10 s. */
export const latencyBuckets: number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** A counter in {@link registry}. */
export function counter<L extends string>(name: string, help: string, labels: L[]): Counter<L> {
  return new Counter({ name, help, labelNames: labels, registers: [registry] });
}

/** A gauge in {@link registry}; `collect` runs at every scrape. */
export function gauge<L extends string>(
  name: string,
  help: string,
  labels: L[],
  collect?: (this: Gauge<L>) => void | Promise<void>,
): Gauge<L> {
  return new Gauge({
    name,
    help,
    labelNames: labels,
    registers: [registry],
    ...(collect ? { collect } : {}),
  });
}

/** A histogram in {@link registry}, in seconds. */
export function histogram<L extends string>(
  name: string,
  help: string,
  labels: L[],
  buckets: number[] = latencyBuckets,
): Histogram<L> {
  return new Histogram({ name, help, labelNames: labels, buckets, registers: [registry] });
}

/** Seconds elapsed since `start` (a `performance.now()` reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
