import { useState } from "preact/hooks";
import { html } from "../html.js";
import { ErrorNote, pretty, useQuery } from "../ui.js";

const HISTORY = `query ($id: ID!, $asOf: String) {
  aggregateHistory(id: $id, asOf: $asOf) {
    aggregateId aggregateType version state truncated
    versions { version state changes { path before after }
      event { type schemaVersion createdAt data metadata position } }
  }
}`;

function Changes({ changes }) {
  if (!changes.length) return html`<p class="note">This event changed nothing in the state.</p>`;
  return html`
    <table aria-label="What changed">
      <thead>
        <tr>
          <th>Field</th>
          <th>Before</th>
          <th>After</th>
        </tr>
      </thead>
      <tbody>${changes.map((c) =>
        html`
          <tr>
            <td class="mono">${c.path}</td>
            <td class="mono">${c.before ?? "—"}</td>
            <td class="mono">${c.after ?? "—"}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

function History({ id, asOf, session }) {
  const q = useQuery(HISTORY, { id, asOf: asOf || null }, session.token);
  const h = q.data?.aggregateHistory;
  const [picked, setPicked] = useState(null);
  if (q.error) return html`<${ErrorNote} error=${q.error} />`;
  if (!h) return html`<p>Loading…</p>`;
  if (!h.versions.length) return html`<p>No events for <span class="mono">${id}</span>.</p>`;
  const latest = h.versions.length;
  const version = Math.min(picked ?? (h.version || latest), latest);
  const step = h.versions[version - 1];
  return html`
    <p>${h.aggregateType} <span class="mono">${h
      .aggregateId}</span>: ${latest} versions${h.truncated ? " (first 1,000 shown)" : ""}${asOf
      ? html`; as of ${asOf} it stood at version ${h.version}`
      : ""}.</p>
    <div class="panel">
      <label><span>Version <strong data-testid="version">${version}</strong> of ${latest}</span>
        <input type="range" min="1" max=${latest} value=${version} name="version"
          aria-valuetext=${`version ${version}: ${step.event.type}`}
          onInput=${(e) => setPicked(Number(e.currentTarget.value))} />
      </label>
      <ul class="versions" aria-label="Versions">${h.versions.map((v) =>
        html`<li>
        <button type="button" aria-current=${v.version === version ? "true" : "false"}
          onClick=${() => setPicked(v.version)} title=${v.event.type}>v${v.version}</button></li>`
      )}
      </ul>
    </div>
    <div class="columns">
      <section class="panel">
        <h2>Event v${version}: ${step.event.type}</h2>
        <p class="note">${step.event.createdAt} · position ${step.event.position} · schema v${step
          .event.schemaVersion}</p>
        <h2>What changed</h2>
        <${Changes} changes=${step.changes} />
        <details>
          <summary>Data and metadata</summary>
          <pre>${pretty(step.event.data)}</pre>
          <pre>${pretty(step.event.metadata)}</pre>
        </details>
      </section>
      <section class="panel">
        <h2>State at version ${version}</h2>
        <p class="note">Folded by the aggregate's own evolve (prices in cents).</p>
        <pre data-testid="state">${pretty(step.state)}</pre>
      </section>
    </div>
  `;
}

/** An aggregate's history: its state at every version and what each event changed. */
export function TimeTravelPage({ session, args }) {
  const [id, setId] = useState(args[0] ?? "");
  const [asOf, setAsOf] = useState("");
  const [applied, setApplied] = useState({ id: args[0] ?? "", asOf: "" });
  if (!session) return html`<p>Sign in as staff or admin to travel in time.</p>`;
  const submit = (e) => {
    e.preventDefault();
    let moment = "";
    if (asOf) {
      const d = new Date(asOf);
      moment = Number.isNaN(d.getTime()) ? asOf : d.toISOString();
    }
    setApplied({ id: id.trim(), asOf: moment });
  };
  return html`
    <h1>Time travel</h1>
        <form class="panel inline" onSubmit=${submit} aria-label="Choose an aggregate">
      <label>Aggregate id (category, product, order…)<input name="aggregateId" value=${id} size="38"
            onInput=${(e) => setId(e.currentTarget.value)} required /></label>
      <label>As of (optional)<input name="asOf" type="datetime-local" step="1" value=${asOf}
            onInput=${(e) => setAsOf(e.currentTarget.value)} /></label>
      <button type="submit" class="primary">Show history</button>
    </form>
        ${applied.id &&
          html`<${History} key=${
            JSON.stringify(applied)
          } id=${applied.id} asOf=${applied.asOf} session=${session} />`}
  `;
}
