/** The console's only way to the system: the public GraphQL API over HTTP and SSE. */

/** A refusal or failure, with the API's code and, for VALIDATION, the fields it names. */
export class ApiError extends Error {
  constructor(message, code = "ERROR", fields = []) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.fields = fields;
  }
}

const SESSION_KEY = "console-session";

/** The signed-in session ({ token, subject, role }) or null. */
export function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
    return saved && typeof saved.token === "string" ? saved : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

/** Reads a token's subject and strongest role, for display only: the gateway decides. */
export function describeToken(token) {
  try {
    const part = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    const claims = JSON.parse(atob(part));
    const roles = claims.roles ?? claims.realm_access?.roles ?? [];
    const role = ["admin", "staff", "customer"].find((r) => roles.includes(r)) ?? "customer";
    return { subject: String(claims.sub ?? "unknown"), role };
  } catch {
    throw new ApiError(
      "That is not a bearer token (a JWT of three dot-separated parts)",
      "VALIDATION",
    );
  }
}

function errorOf(body, status) {
  const first = body?.errors?.[0];
  if (first) {
    return new ApiError(
      first.message,
      first.extensions?.code ?? (status === 401 ? "UNAUTHENTICATED" : "ERROR"),
      first.extensions?.fields ?? [],
    );
  }
  return new ApiError(`The gateway answered HTTP ${status}`, "UNAVAILABLE");
}

/**
 * The consistency token of this tab's latest write (`extensions.consistencyToken`
 * of a mutation's answer). Every later request sends it back, so a page read
 * after a write shows that write: an archived product is out of the list at
 * once, and its detail shows it archived. Kept in memory only: a reload starts
 * without one.
 */
let lastWrite = null;

/** Runs a query or mutation; resolves to its data or throws an ApiError. */
export async function gql(query, variables = {}, token) {
  let res;
  try {
    res = await fetch("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(lastWrite ? { "x-consistency-token": lastWrite } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("The gateway did not answer: check that it is running", "UNAVAILABLE");
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The gateway answered HTTP ${res.status} without JSON`, "UNAVAILABLE");
  }
  const written = body?.extensions?.consistencyToken;
  if (typeof written === "string") lastWrite = written;
  if (body?.errors?.length) {
    const first = body.errors[0]?.extensions ?? {};
    const stale = first.code === "VALIDATION" &&
      (first.fields ?? []).some((f) => f?.field === "X-Consistency-Token");
    // A token the system no longer knows (it was restarted): forget it, and ask a read again.
    if (stale && lastWrite) {
      lastWrite = null;
      if (!/^\s*mutation\b/.test(query)) return await gql(query, variables, token);
    }
    // The read model did not catch up in time: say so once, then read without waiting.
    if (typeof first.consistencyToken === "string" && first.consistencyToken === lastWrite) {
      lastWrite = null;
    }
    throw errorOf(body, res.status);
  }
  return body?.data;
}

/**
 * Subscribes over GraphQL over SSE (a POST, so the token travels in a
 * header). Calls onOpen once the server has started the subscription (what
 * commits from then on is sent), onData with each payload's data and onError
 * once with an ApiError; returns a function that ends the subscription.
 */
export function subscribe(query, variables, token, onData, onError, onOpen = () => {}) {
  const abort = new AbortController();
  (async () => {
    const res = await fetch("/graphql", {
      method: "POST",
      signal: abort.signal,
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    if (!res.ok || !res.body) {
      let body = null;
      try {
        body = await res.json();
      } catch { /* not JSON: the status names it */ }
      throw errorOf(body, res.status);
    }
    onOpen();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split("\n").filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim()).join("\n");
        if (!data) continue;
        const payload = JSON.parse(data);
        if (payload.errors?.length) throw errorOf(payload, 200);
        if (payload.data) onData(payload.data);
      }
    }
  })().catch((err) => {
    if (abort.signal.aborted) return;
    onError(
      err instanceof ApiError ? err : new ApiError("The live connection was lost", "UNAVAILABLE"),
    );
  });
  return () => abort.abort();
}

/** The roles from weakest to strongest: a role may do what those before it may. */
const RANK = { anonymous: 0, customer: 1, staff: 2, admin: 3 };

/** Whether the session holds `role` or a stronger one. */
export function can(session, role) {
  return RANK[session?.role ?? "anonymous"] >= RANK[role];
}
