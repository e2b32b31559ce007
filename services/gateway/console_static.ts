/**
 * Serves the operator console at /console: its own ES modules from
 * services/gateway/console/, and Preact and htm from node_modules, as the
 * browser loads them (no build step). Files are read once and kept.
 */
const APP = new URL("./console/", import.meta.url);
const MODULES = new URL("../../node_modules/", import.meta.url);

/** The npm files the console imports, by the name it imports them as. */
const VENDOR: Record<string, { file: string; rewrite?: [string, string] }> = {
  "preact.mjs": { file: "preact/dist/preact.mjs" },
  // The hooks import "preact" by its bare name; the browser gets the sibling file instead.
  "hooks.mjs": {
    file: "preact/hooks/dist/hooks.mjs",
    rewrite: ['from"preact"', 'from"./preact.mjs"'],
  },
  "htm.mjs": { file: "htm/dist/htm.mjs" },
};

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const cache = new Map<string, Promise<string | null>>();

async function read(url: URL, rewrite?: [string, string]): Promise<string | null> {
  try {
    const text = await Deno.readTextFile(url);
    return rewrite ? text.replace(rewrite[0], rewrite[1]) : text;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

function locate(path: string): { url: URL; rewrite?: [string, string] } | null {
  if (path === "/") return { url: new URL("index.html", APP) };
  const vendor = /^\/vendor\/([a-z]+\.mjs)$/.exec(path);
  if (vendor) {
    const entry = VENDOR[vendor[1]!];
    return entry
      ? { url: new URL(entry.file, MODULES), ...(entry.rewrite ? { rewrite: entry.rewrite } : {}) }
      : null;
  }
  // Only plain file names of the console's own folder: no dots in folders, no way up.
  const own = /^\/((?:[a-z_]+\/)*[a-z_]+\.(?:js|css))$/.exec(path);
  return own ? { url: new URL(own[1]!, APP) } : null;
}

/** Whether a request is for the console. */
export function isConsolePath(pathname: string): boolean {
  return pathname === "/console" || pathname.startsWith("/console/");
}

/** Answers a GET of /console or one of its files; 404 for anything else under /console. */
export async function serveConsole(request: Request): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const { pathname } = new URL(request.url);
  const path = pathname.slice("/console".length);
  // Relative module URLs resolve against the folder, so the console lives at /console/.
  if (path === "") return new Response(null, { status: 308, headers: { location: "/console/" } });
  const found = locate(path);
  if (!found) return new Response("Not found", { status: 404, headers: HEADERS });
  const key = found.url.href;
  if (!cache.has(key)) cache.set(key, read(found.url, found.rewrite));
  const text = await cache.get(key)!;
  if (text === null) {
    cache.delete(key);
    return new Response("Not found", { status: 404, headers: HEADERS });
  }
  const ext = found.url.pathname.split(".").pop() ?? "";
  return new Response(request.method === "HEAD" ? null : text, {
    headers: {
      ...HEADERS,
      "content-type": TYPES[ext] ?? "text/plain; charset=utf-8",
      "cache-control": "no-cache",
    },
  });
}
