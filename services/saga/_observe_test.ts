import assert from "node:assert/strict";
import { SAGA_STEPS } from "@shared/domain/order_saga/mod.ts";
import { metricsText } from "@shared/observability/mod.ts";
import { sampleValue } from "@shared/testing/observability.ts";
import "./_observe.ts";

Deno.test("the saga's counters and step durations have their series before the first saga", async () => {
  const text = await metricsText();
  for (const transition of ["started", "completed", "failed", "compensated"]) {
    assert.equal(sampleValue(text, `saga_${transition}_total`, { saga: "order" }), 0, transition);
  }
  for (const step of SAGA_STEPS) {
    assert.equal(sampleValue(text, "saga_step_duration_seconds_count", { step }), 0, step);
  }
});
