/**
 * Reads the repository's import graph from source text, for tests of the
 * layout rules: which module imports which, resolved to repository paths.
 */
import { fileURLToPath } from "node:url";
import { join, relative, resolve } from "node:path";

/** The repository's root folder. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

const SKIP = new Set(["node_modules", ".data", ".git"]);
const SOURCE = /\.(ts|tsx|js|mjs)$/;

/** One module reference: `from` names `to`, both relative to the root. */
export interface Reference {
  from: string;
  to: string;
  line: number;
}

// Static imports and re-exports, side-effect imports, dynamic imports, and
// a module's own URL built from `import.meta.url`, which hands it to a worker
// or a child process.
const PATTERNS = [
  /\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  /\bnew URL\(\s*["']([^"']+\.(?:ts|tsx|js|mjs))["']\s*,\s*import\.meta\.url\s*\)/g,
];

/** Every source file of the repository, as paths relative to the root. */
export async function sourceFiles(dir = ROOT): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.isFile && SOURCE.test(entry.name)) files.push(relative(ROOT, path));
  }
  return files.sort();
}

async function aliases(): Promise<Map<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const map = new Map<string, string>();
  for (const [key, target] of Object.entries(config.imports as Record<string, string>)) {
    if (key.endsWith("/") && target.startsWith("./")) map.set(key, target);
  }
  return map;
}

function resolveSpecifier(
  file: string,
  specifier: string,
  alias: Map<string, string>,
): string | undefined {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    return relative(ROOT, resolve(ROOT, file, "..", specifier));
  }
  for (const [key, target] of alias) {
    if (specifier.startsWith(key)) {
      return relative(ROOT, resolve(ROOT, target, specifier.slice(key.length)));
    }
  }
  return undefined; // a package, not a file of this repository
}

/** Every reference from a source file to another file of the repository. */
export async function references(): Promise<Reference[]> {
  const alias = await aliases();
  const found: Reference[] = [];
  for (const file of await sourceFiles()) {
    const text = await Deno.readTextFile(join(ROOT, file));
    for (const pattern of PATTERNS) {
      for (const match of text.matchAll(pattern)) {
        const to = resolveSpecifier(file, match[1]!, alias);
        if (to === undefined) continue;
        const line = text.slice(0, match.index).split("\n").length;
        found.push({ from: file, to, line });
      }
    }
  }
  return found;
}
