import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IContainer, IPodSpec, IProbe, ISecret, IService } from "kubernetes-models/v1";
import { secretWeakness } from "@shared/auth/mod.ts";
import { LIVENESS_SERVICE } from "@shared/grpc/server.ts";
import { commandConfigSchema } from "../../services/command/config.ts";
import { sagaConfigSchema } from "../../services/saga/config.ts";
import { type Manifest, parseManifests, render, validateManifest } from "./render.ts";
import { serviceFacts } from "./service_facts.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const OVERLAYS = { base: here("base"), dev: here("overlays/dev"), prod: here("overlays/prod") };
type Overlay = keyof typeof OVERLAYS;
const renders = new Map<Overlay, Promise<Manifest[]>>();

/** The rendered overlay, built once for all the tests. */
function rendered(overlay: Overlay): Promise<Manifest[]> {
  let manifests = renders.get(overlay);
  if (!manifests) {
    manifests = render(OVERLAYS[overlay]);
    renders.set(overlay, manifests);
  }
  return manifests;
}

/** The variable naming the port each service is reached on, and how it is probed. */
const SERVING: Record<string, { port: string; probe: "http" | "grpc" }> = {
  "services/gateway/main.ts": { port: "GATEWAY_PORT", probe: "http" },
  "services/command/main.ts": { port: "COMMAND_PORT", probe: "grpc" },
  "services/query/main.ts": { port: "QUERY_PORT", probe: "grpc" },
  "services/projector/main.ts": { port: "PROJECTOR_HTTP_PORT", probe: "http" },
  "services/saga/main.ts": { port: "SAGA_HTTP_PORT", probe: "http" },
};

type Workload = Manifest & {
  spec: { template: { metadata?: { labels?: Record<string, string> }; spec: IPodSpec } };
};
type LabelSelector = NonNullable<NonNullable<IPodDisruptionBudget["spec"]>["selector"]>;

function ofKind<T>(manifests: Manifest[], kind: string): (Manifest & T)[] {
  return manifests.filter((m) => m.kind === kind) as (Manifest & T)[];
}

function named<T>(manifests: Manifest[], kind: string, name: string): Manifest & T {
  const found = ofKind<T>(manifests, kind).find((m) => m.metadata.name === name);
  assert.ok(found, `${kind} ${name} is missing`);
  return found;
}

function workloads(manifests: Manifest[]): Workload[] {
  return manifests.filter((m) =>
    ["Deployment", "StatefulSet", "Job"].includes(m.kind)
  ) as Workload[];
}

/** The containers that run this repository's image, with the entry point each runs. */
function platformContainers(manifests: Manifest[]) {
  return workloads(manifests).flatMap((w) =>
    w.spec.template.spec.containers
      .filter((c) => /(^|\/)cqrs-platform(:|$)/.test(c.image ?? ""))
      .map((container) => {
        const args = container.args ?? [];
        assert.equal(args[0], "run", `${w.metadata.name}: args must be \`run … <entry>\``);
        return { workload: w, container, entry: args.at(-1)! };
      })
  );
}

/** The literal value a container sets for `name`, if it sets one. */
function literal(container: IContainer, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

/** The port a service listens on: the container's setting of the variable, else its default. */
async function servingPort(container: IContainer, entry: string): Promise<number> {
  const variable = SERVING[entry]!.port;
  const facts = await serviceFacts(entry);
  const fallback = facts.portDefaults.get(variable);
  assert.ok(fallback !== undefined, `${entry} has no default for ${variable}`);
  return Number(literal(container, variable) ?? fallback);
}

function probePort(container: IContainer, probe: IProbe): number {
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
  if (typeof port === "number") return port;
  const byName = container.ports?.find((p) => p.name === port)?.containerPort;
  assert.ok(byName !== undefined, `${container.name}: probe port ${port} is not a container port`);
  return byName;
}

for (const overlay of Object.keys(OVERLAYS) as Overlay[]) {
  Deno.test(`${overlay}: kustomize renders every document and each passes the Kubernetes schema`, async () => {
    const manifests = await rendered(overlay);
    assert.ok(manifests.length > 0);
    for (const kind of ["Deployment", "Service", "HorizontalPodAutoscaler", "Job"]) {
      assert.ok(manifests.some((m) => m.kind === kind), `${overlay} renders no ${kind}`);
    }
  });
}

Deno.test("a broken manifest is refused: bad YAML, a wrong type, a missing field, an unknown kind", async () => {
  assert.throws(() => parseManifests("kind: Service\n  bad: [indent", "x"), /x, document 1/);
  const deployment = named<IDeployment>(await rendered("prod"), "Deployment", "gateway");
  const wrongType = structuredClone(deployment);
  wrongType.spec!.template.spec!.containers[0]!.ports![0]!.containerPort = "4000" as never;
  assert.throws(() => validateManifest(wrongType), /containerPort must be integer/);
  const noSelector = structuredClone(deployment);
  delete (noSelector.spec as Partial<typeof noSelector.spec>)!.selector;
  assert.throws(() => validateManifest(noSelector), /selector/);
  assert.throws(
    () => validateManifest({ ...deployment, apiVersion: "apps/v1beta1" }),
    /kind not allowed/,
  );
});

for (const overlay of ["dev", "prod"] as const) {
  Deno.test(`${overlay}: every service runs as a Deployment behind a Service, and migrations as a Job`, async () => {
    const manifests = await rendered(overlay);
    const entries = platformContainers(manifests).map((c) => `${c.workload.kind} ${c.entry}`);
    assert.deepEqual(entries.sort(), [
      "Deployment services/command/main.ts",
      "Deployment services/gateway/main.ts",
      "Deployment services/projector/main.ts",
      "Deployment services/query/main.ts",
      "Deployment services/saga/main.ts",
      "Job scripts/migrate.ts",
    ]);
    for (const { workload } of platformContainers(manifests)) {
      if (workload.kind !== "Deployment") continue;
      const service = named<IService>(manifests, "Service", workload.metadata.name);
      const podLabels = workload.spec.template.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(service.spec!.selector!)) {
        assert.equal(podLabels[k], v, `Service ${service.metadata.name} selects no pod`);
      }
    }
  });

  Deno.test(`${overlay}: every variable a container sets is one its service reads`, async () => {
    const manifests = await rendered(overlay);
    for (const { workload, container, entry } of platformContainers(manifests)) {
      assert.equal(container.envFrom, undefined, `${workload.metadata.name}: name each variable`);
      const reads = (await serviceFacts(entry)).env;
      for (const { name } of container.env ?? []) {
        assert.ok(
          reads.has(name),
          `${workload.metadata.name} sets ${name}, which ${entry} never reads`,
        );
      }
    }
  });

  Deno.test(`${overlay}: pods get no Service links, whose COMMAND_PORT=tcp://… would clash with the services' own`, async () => {
    const manifests = await rendered(overlay);
    for (const w of workloads(manifests)) {
      assert.equal(w.spec.template.spec.enableServiceLinks, false, w.metadata.name);
    }
  });

  Deno.test(`${overlay}: each service address names a Service port, and the port the service listens on`, async () => {
    const manifests = await rendered(overlay);
    for (const { container } of platformContainers(manifests)) {
      for (const name of ["COMMAND_SERVICE_ADDRESS", "QUERY_SERVICE_ADDRESS"]) {
        const address = literal(container, name);
        if (address === undefined) continue;
        const [host, port] = address.split(":");
        const service = named<IService>(manifests, "Service", host!);
        assert.ok(service.spec!.ports!.some((p) => p.port === Number(port)), address);
        const target = platformContainers(manifests)
          .find((c) => c.workload.metadata.name === host)!;
        assert.equal(await servingPort(target.container, target.entry), Number(port), address);
      }
    }
  });

  Deno.test(`${overlay}: probes ask each service's health where it serves it`, async () => {
    const manifests = await rendered(overlay);
    for (const { workload, container, entry } of platformContainers(manifests)) {
      if (workload.kind === "Job") continue;
      const serving = SERVING[entry];
      assert.ok(serving, `${entry} has no known serving port`);
      const facts = await serviceFacts(entry);
      const port = await servingPort(container, entry);
      assert.ok(container.ports?.some((p) => p.containerPort === port), `${entry} port ${port}`);
      for (const p of container.ports ?? []) {
        assert.ok(
          [...facts.portDefaults].some(([v, d]) =>
            Number(literal(container, v) ?? d) === p.containerPort
          ),
          `${workload.metadata.name} declares port ${p.containerPort}, on which ${entry} listens not`,
        );
      }
      const readiness = container.readinessProbe;
      const liveness = container.livenessProbe;
      assert.ok(readiness && liveness, `${workload.metadata.name} needs both probes`);
      for (const probe of [readiness, liveness]) {
        assert.equal(probePort(container, probe), port, `${workload.metadata.name} probe port`);
        if (serving.probe === "grpc") {
          assert.ok(probe.grpc, `${workload.metadata.name}: gRPC services use the gRPC probe`);
          assert.ok(facts.grpcHealth, `${entry} serves no grpc.health.v1.Health`);
        } else if (probe.httpGet) {
          assert.ok(
            facts.httpPaths.has(probe.httpGet.path!),
            `${entry} serves no ${probe.httpGet.path}`,
          );
        } else {
          assert.fail(`${workload.metadata.name}: an HTTP service is probed over HTTP`);
        }
      }
      if (serving.probe === "http") {
        // Readiness reports the dependencies; liveness only that the process answers: a TCP
        // check passes on a frozen process (its kernel accepts), and /health fails while a
        // database is down, which a restart does not mend.
        assert.equal(readiness.httpGet?.path, "/health");
        assert.equal(liveness.httpGet?.path, "/livez", `${workload.metadata.name} liveness`);
      }
      if (serving.probe === "grpc") {
        // Readiness follows the overall status (NOT_SERVING while the database is down);
        // liveness asks the name that stays SERVING, so an outage restarts no pod.
        assert.equal(readiness.grpc?.service ?? "", "", `${workload.metadata.name} readiness`);
        assert.equal(
          liveness.grpc?.service,
          LIVENESS_SERVICE,
          `${workload.metadata.name}: liveness asks the "${LIVENESS_SERVICE}" health name`,
        );
      }
    }
  });

  Deno.test(`${overlay}: every container has requests and limits for CPU and memory`, async () => {
    const manifests = await rendered(overlay);
    for (const w of workloads(manifests)) {
      for (const c of w.spec.template.spec.containers) {
        for (const part of ["requests", "limits"] as const) {
          for (const resource of ["cpu", "memory"]) {
            assert.ok(c.resources?.[part]?.[resource], `${w.metadata.name} ${part}.${resource}`);
          }
        }
      }
    }
  });

  Deno.test(`${overlay}: gateway, command and query scale on CPU; the autoscaler alone sets their replicas`, async () => {
    const manifests = await rendered(overlay);
    const hpas = ofKind<IHorizontalPodAutoscaler>(manifests, "HorizontalPodAutoscaler");
    assert.deepEqual(hpas.map((h) => h.metadata.name).sort(), ["command", "gateway", "query"]);
    for (const hpa of hpas) {
      const target = named<IDeployment>(manifests, "Deployment", hpa.spec!.scaleTargetRef.name);
      assert.equal(
        target.spec!.replicas,
        undefined,
        `${target.metadata.name}: apply would reset it`,
      );
      assert.ok(hpa.spec!.metrics!.some((m) => m.resource?.name === "cpu"), hpa.metadata.name);
      assert.ok(hpa.spec!.maxReplicas > (hpa.spec!.minReplicas ?? 1), hpa.metadata.name);
    }
  });

  Deno.test(`${overlay}: every Deployment has a disruption budget that selects its pods`, async () => {
    const manifests = await rendered(overlay);
    const budgets = ofKind<IPodDisruptionBudget>(manifests, "PodDisruptionBudget");
    for (const d of ofKind<IDeployment>(manifests, "Deployment")) {
      const labels = d.spec!.template.metadata?.labels ?? {};
      assert.ok(
        budgets.some((b) => selects(b.spec!.selector!, labels)),
        `${d.metadata.name} has no PodDisruptionBudget`,
      );
    }
  });

  Deno.test(`${overlay}: the saga worker's settings parse; its replicas stand by on its lease`, async () => {
    const manifests = await rendered(overlay);
    const saga = named<IDeployment>(manifests, "Deployment", "saga");
    assert.ok(saga.spec!.replicas! >= 1);
    const settings = Object.fromEntries(
      (saga.spec!.template.spec!.containers[0]!.env ?? []).filter((e) => e.value !== undefined)
        .map((e) => [e.name, e.value]),
    );
    const parsed = sagaConfigSchema.safeParse({ ...settings, EVENT_STORE_URL: "postgres://x" });
    if (!parsed.success) assert.fail(`saga settings: ${parsed.error.message}`);
  });

  Deno.test(`${overlay}: the command service's settings parse, the payment and carrier ones included`, async () => {
    const manifests = await rendered(overlay);
    const command = named<IDeployment>(manifests, "Deployment", "command");
    const settings = Object.fromEntries(
      (command.spec!.template.spec!.containers[0]!.env ?? []).filter((e) => e.value !== undefined)
        .map((e) => [e.name, e.value]),
    );
    assert.ok("PAYMENT_MODE" in settings, "the command service charges: it reads PAYMENT_*");
    const parsed = commandConfigSchema.safeParse({ ...settings, EVENT_STORE_URL: "postgres://x" });
    if (!parsed.success) assert.fail(`command settings: ${parsed.error.message}`);
  });

  Deno.test(`${overlay}: the gRPC ports take connections from this namespace's pods only, the gateway from anyone`, async () => {
    const manifests = await rendered(overlay);
    const policies = ofKind<INetworkPolicy>(manifests, "NetworkPolicy");
    const podLabels = (name: string) =>
      named<IDeployment>(manifests, "Deployment", name).spec!.template.metadata!.labels!;
    for (const [name, port] of [["command", 50051], ["query", 50052]] as const) {
      const peers = allowedPeers(policies, podLabels(name), port);
      assert.notEqual(peers, "anyone", `${name}:${port} is open to anyone`);
      assert.ok(peers.length > 0, `${name}:${port} is closed to the gateway too`);
      for (const peer of peers) {
        assert.deepEqual(
          Object.keys(peer),
          ["podSelector"],
          `${name}:${port}: ${JSON.stringify(peer)}`,
        );
      }
    }
    assert.equal(allowedPeers(policies, podLabels("gateway"), 4000), "anyone");
  });
}

Deno.test("prod: the gateway runs in production mode, with the externally managed Secret", async () => {
  const manifests = await rendered("prod");
  assert.equal(ofKind<ISecret>(manifests, "Secret").length, 0, "prod applies no Secret");
  const gateway = named<IDeployment>(manifests, "Deployment", "gateway");
  const container = gateway.spec!.template.spec!.containers[0]!;
  assert.equal(literal(container, "GATEWAY_MODE"), "production");
  assert.deepEqual(
    container.env!.find((e) => e.name === "JWT_SECRET")?.valueFrom?.secretKeyRef,
    { name: "cqrs-secrets", key: "JWT_SECRET" },
  );
  for (const { container } of platformContainers(manifests)) {
    assert.match(container.image!, /:\d+\.\d+\.\d+$/, "prod runs a released tag");
  }
  // Standbys hold no lease until the owner goes: safe, and a fail-over.
  assert.ok(named<IDeployment>(manifests, "Deployment", "projector").spec!.replicas! > 1);
  assert.ok(named<IDeployment>(manifests, "Deployment", "saga").spec!.replicas! > 1);
});

Deno.test("secrets: every reference names a key of cqrs-secrets; the base's placeholders cannot run in production", async () => {
  const base = named<ISecret>(await rendered("base"), "Secret", "cqrs-secrets");
  const keys = Object.keys(base.data!).sort();
  assert.deepEqual(keys, ["EVENT_STORE_URL", "JWT_SECRET", "READ_MODEL_URL"]);
  assert.deepEqual(
    Object.keys(named<ISecret>(await rendered("dev"), "Secret", "cqrs-secrets").data!).sort(),
    keys,
  );
  for (const manifests of [await rendered("dev"), await rendered("prod")]) {
    for (const { container } of platformContainers(manifests)) {
      for (const e of container.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        assert.equal(ref.name, "cqrs-secrets");
        assert.ok(keys.includes(ref.key), ref.key);
      }
    }
  }
  const placeholder = atob(base.data!.JWT_SECRET!);
  assert.ok(placeholder.includes("REPLACE-ME"));
  assert.ok(secretWeakness(placeholder), "a production gateway must refuse the placeholder");
});

/** Whether a label selector matches `labels`. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        return value !== undefined && e.values!.includes(value);
      case "NotIn":
        return value === undefined || !e.values!.includes(value);
      case "Exists":
        return value !== undefined;
      case "DoesNotExist":
        return value === undefined;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
}

/**
 * Who may open a connection to `port` of a pod with `labels`: "anyone" when no
 * ingress policy selects the pod or a rule has no `from`, else the peers the
 * rules allow (numeric ports only: the manifests name no port in a policy).
 */
function allowedPeers(policies: INetworkPolicy[], labels: Record<string, string>, port: number) {
  const selecting = policies.filter((p) =>
    selects(p.spec!.podSelector ?? {}, labels) &&
    (p.spec!.policyTypes ?? ["Ingress"]).includes("Ingress")
  );
  if (selecting.length === 0) return "anyone" as const;
  const peers = [];
  for (const rule of selecting.flatMap((p) => p.spec!.ingress ?? [])) {
    if (rule.ports?.some((p) => typeof p.port !== "number")) throw new Error("named policy port");
    if (rule.ports && !rule.ports.some((p) => p.port === port)) continue;
    if (!rule.from || rule.from.length === 0) return "anyone" as const;
    peers.push(...rule.from);
  }
  return peers;
}
