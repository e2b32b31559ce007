/**
 * Serves the operator console at /console/: its own ES modules from
 * services/gateway/console/, and Preact and htm from node_modules, as the
 * browser loads them (no build step). Files are read once and kept.
 */
const APP = new URL("./console/", import.meta.url);
const MODULES = new URL("../../node_modules/", import.meta.url);

/**
 * The npm files the console imports by their bare names ("preact",
 * "preact/hooks", "htm"): index.html's import map points the browser here,
 * and deno.json resolves the same names for `deno check`.
 */
const VENDOR: Record<string, string> = {
  "preact.mjs": "preact/dist/preact.mjs",
  "hooks.mjs": "preact/hooks/dist/hooks.mjs",
  "htm.mjs": "htm/dist/htm.mjs",
};

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const BASE_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Scripts only from the gateway, plus the page's own import map by its hash. */
async function policy(html: string): Promise<string> {
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const digest = map === undefined ? undefined : new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(map)),
  );
  const hash = digest ? ` 'sha256-${btoa(String.fromCharCode(...digest))}'` : "";
  return `default-src 'self'; script-src 'self'${hash}; style-src 'self'; img-src 'self' data:; ` +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
}

interface Asset {
  text: string;
  headers: Record<string, string>;
}

const cache = new Map<string, Promise<Asset | null>>();

async function load(url: URL): Promise<Asset | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(url);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  const ext = url.pathname.split(".").pop() ?? "";
  const headers: Record<string, string> = {
    ...BASE_HEADERS,
    "content-type": TYPES[ext] ?? "text/plain; charset=utf-8",
    "cache-control": "no-cache",
  };
  if (ext === "html") headers["content-security-policy"] = await policy(text);
  return { text, headers };
}

function locate(path: string): URL | null {
  if (path === "/") return new URL("index.html", APP);
  const vendor = /^\/vendor\/([a-z]+\.mjs)$/.exec(path);
  if (vendor) {
    const file = VENDOR[vendor[1]!];
    return file ? new URL(file, MODULES) : null;
  }
  // Only plain names in the console's own folder: no dots in folders, no way up.
  const own = /^\/((?:[a-z_]+\/)*[a-z_]+\.(?:js|css))$/.exec(path);
  return own ? new URL(own[1]!, APP) : null;
}

/** Whether a request is for the console. */
export function isConsolePath(pathname: string): boolean {
  return pathname === "/console" || pathname.startsWith("/console/");
}

/** Answers a GET of /console/ or one of its files; 404 for anything else under /console. */
export async function serveConsole(request: Request): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const path = new URL(request.url).pathname.slice("/console".length);
  // Relative module URLs resolve against the folder, so the console lives at /console/.
  if (path === "") return new Response(null, { status: 308, headers: { location: "/console/" } });
  const url = locate(path);
  const key = url?.href ?? "";
  if (url && !cache.has(key)) cache.set(key, load(url));
  const asset = url ? await cache.get(key)! : null;
  if (!asset) {
    cache.delete(key);
    return new Response("Not found", { status: 404, headers: BASE_HEADERS });
  }
  return new Response(request.method === "HEAD" ? null : asset.text, { headers: asset.headers });
}
