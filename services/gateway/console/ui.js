import { useCallback, useEffect, useState } from "preact/hooks";
import { gql } from "./api.js";
import { html } from "./html.js";

const HINTS = {
  UNAUTHENTICATED: "Sign in to do this.",
  FORBIDDEN: "Your role may not do this.",
  UNAVAILABLE: "A service is not answering; try again shortly.",
};

/** An error as a person reads it: what went wrong, never a stack trace. */
export function ErrorNote({ error }) {
  if (!error) return null;
  const message = error.message || "Something went wrong";
  const hint = HINTS[error.code];
  return html`<div class="error" role="alert">
    <strong>${error.code ?? "Error"}:</strong> ${message}${
    hint
      ? html`
        <span>${hint}</span>
      `
      : ""
  }
  </div>`;
}

/** The server's message for one field of a VALIDATION error, shown beside it. */
export function FieldError({ error, field, id }) {
  const issue = error?.fields?.find((f) => f.field === field || f.field.endsWith(`.${field}`));
  return issue
    ? html`<span class="field-error" id=${id} role="alert">${issue.message}</span>`
    : null;
}

/** A labelled input whose server-side validation error shows beside it. */
export function Field({ label, name, error, value, onInput, type = "text", ...rest }) {
  const errorId = `${name}-error`;
  return html`<label>
    ${label}
    <input name=${name} type=${type} value=${value} onInput=${(e) => onInput(e.currentTarget.value)}
      aria-invalid=${error?.fields?.some((f) => f.field === name) ? "true" : "false"}
      aria-describedby=${errorId} ...${rest} />
    <${FieldError} error=${error} field=${name} id=${errorId} />
  </label>`;
}

/** Runs a query when its inputs change; `reload` runs it again. */
export function useQuery(query, variables, token, enabled = true) {
  const [state, setState] = useState({ data: null, error: null, loading: enabled });
  const key = JSON.stringify([query, variables, token, enabled]);
  const run = useCallback(() => {
    if (!enabled) return Promise.resolve();
    setState((s) => ({ ...s, loading: true }));
    return gql(query, variables, token).then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => setState({ data: null, error, loading: false }),
    );
  }, [key]);
  useEffect(() => {
    run();
  }, [run]);
  return { ...state, reload: run };
}

/** Pretty JSON of a JSON text, or the text as it is. */
export function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return String(text);
  }
}

/** A status word as a small badge. */
export function Badge({ value }) {
  return html`<span class=${`badge ${value ?? ""}`}>${value ?? "—"}</span>`;
}
