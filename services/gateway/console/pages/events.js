import { useEffect, useState } from "preact/hooks";
import { subscribe } from "../api.js";
import { html } from "../html.js";
import { ErrorNote } from "../ui.js";

/** Most events kept on screen. */
const KEEP = 200;

const QUERY = `subscription ($aggregateType: String, $type: String, $aggregateId: ID) {
  eventAppended(aggregateType: $aggregateType, type: $type, aggregateId: $aggregateId) {
    position eventId aggregateId aggregateType type version schemaVersion data metadata createdAt
  }
}`;

function meta(text) {
  try {
    const m = JSON.parse(text);
    // traceparent: version-traceid-spanid-flags
    const traceId = typeof m.traceparent === "string" ? m.traceparent.split("-")[1] : undefined;
    return { ...m, traceId };
  } catch {
    return {};
  }
}

/** Events as they commit, with who caused them and why (admins). */
export function EventsPage({ session }) {
  const [filters, setFilters] = useState({ aggregateType: "", type: "", aggregateId: "" });
  const [applied, setApplied] = useState(filters);
  const [events, setEvents] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    setError(null);
    const variables = {};
    for (const [k, v] of Object.entries(applied)) if (v.trim()) variables[k] = v.trim();
    return subscribe(
      QUERY,
      variables,
      session?.token,
      (data) => setEvents((list) => [data.eventAppended, ...list].slice(0, KEEP)),
      setError,
    );
  }, [JSON.stringify(applied), session?.token]);
  const set = (k) => (e) => setFilters({ ...filters, [k]: e.currentTarget.value });
  return html`
    <h1>Live events</h1>
    <form class="panel inline" aria-label="Filter events"
      onSubmit=${(e) => (e.preventDefault(), setEvents([]), setApplied(filters))}>
      <label>Aggregate type<select name="aggregateType" value=${filters
        .aggregateType} onChange=${set("aggregateType")}>
            <option value="">any</option>
            ${["Category", "Product", "Inventory", "Order", "OrderSaga", "Payment", "Shipment"]
              .map((t) => html`<option value=${t}>${t}</option>`)}
          </select></label>
      <label>Event type<input name="type" value=${filters.type} onInput=${set(
        "type",
      )} placeholder="OrderCreated" /></label>
      <label>Stream (aggregate id)<input name="aggregateId" value=${filters
        .aggregateId} onInput=${set("aggregateId")} size="38" /></label>
      <button type="submit">Apply filters</button>
      <span class="note" aria-live="polite">${events.length} events since the page opened</span>
    </form>
    <${ErrorNote} error=${error} />
    <div class="panel feed">
          <table aria-label="Events">
            <thead><tr><th>Position</th><th>Event</th><th>Stream</th><th>User</th><th>Correlation / causation</th><th>Trace</th></tr></thead>
            <tbody>${events.map((e) => {
              const m = meta(e.metadata);
              return html`
                <tr>
                  <td class="mono">${e.position}</td>
                  <td><strong>${e.type}</strong> <span class="note">v${e.version} · ${e
                    .aggregateType}</span>
                              <details><summary class="note">data</summary><pre>${e
                                .data}</pre></details></td>
                  <td class="mono"><a href=${`#/time-travel/${e.aggregateId}`}>${e
                    .aggregateId}</a></td>
                  <td class="mono">${m.userId ?? "—"}</td>
                  <td class="mono">${m.correlationId ?? "—"}<br />${m.causationId ?? "—"}</td>
                  <td class="mono">${m.traceId ?? "—"}</td>
                </tr>
              `;
            })}</tbody>
          </table>
          ${events.length === 0 && html`<p class="note">Waiting for events to commit…</p>`}
        </div>
  `;
}
