import { useEffect, useState } from "preact/hooks";
import { gql } from "../api.js";
import { html } from "../html.js";
import { Badge, ErrorNote, useQuery } from "../ui.js";

const STATUS = `{
  projections { projection checkpoint checkpointMovedAt lagEvents lagSeconds deadLetters owner rebuilding }
  projectionJobs { id kind projection status phase done total startedAt finishedAt error }
  deadLetters { projection position eventType aggregateId error attempts }
  serviceHealth { name status circuit detail }
}`;

/** Projections, their rebuilds and dead letters, circuits and service health (admins). */
export function OperationsPage({ session }) {
  const q = useQuery(STATUS, {}, session?.token, Boolean(session));
  const [error, setError] = useState(null);
  const running = q.data?.projectionJobs.some((j) => j.status === "running");
  useEffect(() => {
    // Progress while a job runs; otherwise every 5 s.
    const timer = setTimeout(() => q.reload(), running ? 700 : 5000);
    return () => clearTimeout(timer);
  }, [q.data, running]);
  const start = async (mutation, projection) => {
    setError(null);
    try {
      await gql(
        `mutation ($p: String!) { ${mutation}(projection: $p) { id } }`,
        { p: projection },
        session.token,
      );
      q.reload();
    } catch (err) {
      setError(err);
    }
  };
  if (!session) return html`<p>Sign in as an admin.</p>`;
  const d = q.data;
  return html`
    <h1>Operations</h1>
    <${ErrorNote} error=${q.error ?? error} />
    <section class="panel">
      <h2>Services</h2>
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Status</th>
            <th>Circuit</th>
          </tr>
        </thead>
        <tbody>${(d?.serviceHealth ?? []).map((s) =>
          html`
            <tr>
              <td>${s.name}</td>
              <td>
                <${Badge} value=${s.status} />
              </td>
              <td>${s.circuit ? html`<${Badge} value=${s.circuit} />` : "—"}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </section>
    <section class="panel">
      <h2>Projections</h2>
      <table>
        <thead>
          <tr>
            <th>Projection</th>
            <th>Checkpoint</th>
            <th>Lag</th>
            <th>Dead letters</th>
            <th>Owner</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>${(d?.projections ?? []).map((p) =>
          html`
            <tr>
              <td>${p.projection}${p.rebuilding
                ? html`
                  <span class="badge">rebuilding</span>
                `
                : ""}</td>
              <td class="mono">${p.checkpoint ??
                "—"}<br /><span class="note">${p.checkpointMovedAt ?? ""}</span></td>
              <td>${p.lagEvents} events, ${p.lagSeconds.toFixed(1)} s</td>
              <td>${p.deadLetters}</td>
              <td class="mono">${p.owner ?? "none"}</td>
              <td><button type="button" onClick=${() => start("rebuildProjection", p.projection)}
                          aria-label=${`Rebuild ${p.projection}`}>Rebuild</button>
                        <button type="button" disabled=${p.deadLetters === 0}
                          onClick=${() => start("replayDeadLetters", p.projection)}
                          aria-label=${`Replay the dead letters of ${p.projection}`}>Replay dead letters</button></td>
            </tr>
          `
        )}</tbody>
      </table>
    </section>
    ${d?.deadLetters.length > 0 && html`
      <section class="panel">
        <h2>Dead letters</h2>
        <table>
          <thead>
            <tr>
              <th>Projection</th>
              <th>Position</th>
              <th>Event</th>
              <th>Stream</th>
              <th>Error</th>
              <th>Attempts</th>
            </tr>
          </thead>
          <tbody>${d.deadLetters.map((l) =>
            html`
              <tr>
                <td>${l.projection}</td>
                <td class="mono">${l.position}</td>
                <td>${l.eventType}</td>
                <td class="mono"><a href=${`#/time-travel/${l.aggregateId}`}>${l
                  .aggregateId}</a></td>
                <td>${l.error}</td>
                <td>${l.attempts}</td>
              </tr>
            `
          )}</tbody>
        </table>
      </section>
    `}
    <section class="panel" aria-live="polite"><h2>Jobs</h2>
          ${(d?.projectionJobs ?? []).length === 0
            ? html`<p class="note">No rebuild or replay since the gateway started.</p>`
            : ""}
          <table><tbody>${(d?.projectionJobs ?? []).map((j) =>
            html`
              <tr>
                <td>${j.kind} ${j.projection}</td>
                <td>
                  <${Badge} value=${j.status} />
                </td>
                <td><label>Progress <progress max=${Math.max(
                  j.total,
                  1,
                )} value=${j.status === "done" ? Math.max(j.total, 1) : j.done}></progress></label>
                        ${j.done} / ${j.total}</td>
                <td>${j.phase}${j.error ? html`<div class="field-error">${j.error}</div>` : ""}</td>
                <td class="note">${j.startedAt}</td>
              </tr>
            `
          )}</tbody></table>
        </section>
  `;
}
