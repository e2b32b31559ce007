import { useEffect, useState } from "preact/hooks";
import { can, gql, subscribe } from "../api.js";
import { html } from "../html.js";
import { Badge, ErrorNote, pretty, useQuery } from "../ui.js";

const ORDER = `query ($id: ID!) { order(id: $id) {
  id customerId status subtotal tax shipping total cancelReason createdAt updatedAt
  items { productName quantity unitPrice lineTotal }
  saga { sagaId status completedSteps currentStep failureReason startedAt completedAt } } }`;

const STEPS = ["reserve_inventory", "process_payment", "arrange_shipping", "confirm_order"];

/** How far along each saga status is: a saga only moves to a later stage. */
const STAGE = {
  started: 0,
  processing: 1,
  failed: 2,
  compensating: 3,
  completed: 4,
  compensated: 4,
};

/**
 * The later of two readings of one saga. Two subscriptions and a read answer
 * over separate connections, so an older reading can arrive after a newer one.
 */
export function laterSaga(a, b) {
  if (!a || !b) return a ?? b ?? null;
  const stage = (STAGE[b.status] ?? 0) - (STAGE[a.status] ?? 0);
  if (stage !== 0) return stage > 0 ? b : a;
  return b.completedSteps.length >= a.completedSteps.length ? b : a;
}

/** `live` with a newer reading applied; the saga keeps whichever reading is later. */
function applied(live, reading) {
  const next = { ...(live ?? {}), ...reading };
  if ("saga" in next) next.saga = laterSaga(live?.saga, reading.saga);
  return next;
}

/** The saga's steps as a timeline: done, current, failed, compensated. */
function Timeline({ order }) {
  const saga = order.saga;
  if (!saga) return html`<p class="note">The saga has not started yet.</p>`;
  const compensating = ["compensating", "compensated", "failed"].includes(saga.status);
  const steps = [
    ...new Set([...STEPS, ...saga.completedSteps, ...(saga.currentStep ? [saga.currentStep] : [])]),
  ];
  return html`<ol class="timeline" aria-label="Saga timeline">
    <li class="done">Saga started <span class="note">${saga.startedAt}</span></li>
    ${
    steps.map((step) => {
      const done = saga.completedSteps.includes(step);
      const current = saga.currentStep === step;
      const cls = done ? "done" : current ? (compensating ? "failed" : "current") : "";
      return html`<li class=${cls}>${step.replaceAll("_", " ")}:${" "}<strong>${
        done ? "done" : current ? (compensating ? "failed" : "in progress") : "waiting"
      }</strong>
        ${
        done && compensating
          ? html`
            <span class="note">(compensated)</span>
          `
          : ""
      }</li>`;
    })
  }
    ${saga.failureReason && html`<li class="compensation">Failure: ${saga.failureReason}</li>`}
    <li class=${saga.status === "completed" ? "done" : compensating ? "compensation" : ""}
      data-testid="saga-outcome">Saga ${saga.status}${
    saga.completedAt
      ? html`
        <span class="note">${saga.completedAt}</span>
      `
      : ""
  }</li>
    <li data-testid="order-status">Order <strong>${order.status}</strong></li>
  </ol>`;
}

function AuditTrail({ id, title, session }) {
  const q = useQuery(
    "query ($id: ID) { events(aggregateId: $id) { events { type version createdAt data metadata } } }",
    { id },
    session.token,
  );
  return html`
    <section class="panel">
      <h2>${title}</h2>
      <${ErrorNote} error=${q.error} />
      <table>
        <thead>
          <tr>
            <th>v</th>
            <th>Event</th>
            <th>When</th>
            <th>Data</th>
          </tr>
        </thead>
        <tbody>${(q.data?.events.events ?? []).map((e) =>
          html`
            <tr>
              <td>${e.version}</td>
              <td>${e.type}</td>
              <td>${e.createdAt}</td>
              <td>
                <pre>${pretty(e.data)}</pre>
              </td>
            </tr>
          `
        )}</tbody>
      </table>
    </section>
  `;
}

/** An order with its saga as a timeline, updated live. */
export function OrderPage({ session, args }) {
  const [id] = args;
  const q = useQuery(ORDER, { id }, session?.token, Boolean(session));
  const [live, setLive] = useState(null);
  const [liveError, setLiveError] = useState(null);
  useEffect(() => {
    if (!session) return;
    const onData = (data) => {
      if (data.orderStatusChanged) setLive((l) => applied(l, data.orderStatusChanged));
      if (data.sagaProgress) setLive((l) => applied(l, { saga: data.sagaProgress }));
    };
    // Once both subscriptions run, read again: what committed between the
    // first read and their start reaches the page through this read.
    let opened = 0;
    const onOpen = () => {
      if (++opened < 2) return;
      gql(ORDER, { id }, session.token).then(
        (d) => d.order && setLive((l) => applied(d.order, l ?? {})),
        () => {},
      );
    };
    const saga = "sagaId status completedSteps currentStep failureReason startedAt completedAt";
    const stops = [
      subscribe(
        `subscription ($id: ID) { orderStatusChanged(orderId: $id) { id status updatedAt saga { ${saga} } } }`,
        { id },
        session.token,
        onData,
        setLiveError,
        onOpen,
      ),
      subscribe(
        `subscription ($id: ID!) { sagaProgress(orderId: $id) { ${saga} } }`,
        { id },
        session.token,
        onData,
        setLiveError,
        onOpen,
      ),
    ];
    return () => stops.forEach((stop) => stop());
  }, [id, session?.token]);
  if (!session) return html`<p>Sign in to see this order.</p>`;
  if (q.error) return html`<${ErrorNote} error=${q.error} />`;
  const base = q.data?.order;
  if (!base) return html`<p>${q.loading ? "Loading…" : "No such order."}</p>`;
  const order = applied(base, live ?? {});
  return html`
    <h1>Order <span class="mono">${order.id}</span></h1>
        <div class="columns">
      <section class="panel">
            <h2>Order</h2>
            <p>Status: <${Badge} value=${order.status} /></p>
            <p>Total ${order.total} (subtotal ${order.subtotal}, tax ${order.tax}, shipping ${order
              .shipping})</p>
            <ul>${order.items.map((i) =>
              html`<li>${i.quantity} × ${i.productName} at ${i.unitPrice}</li>`
            )}</ul>
            ${can(session, "staff") &&
              html`<a href=${`#/time-travel/${order.id}`}>Time travel on this order</a>`}
          </section>
      <section class="panel" aria-live="polite">
        <h2>Saga</h2>
        <${ErrorNote} error=${liveError} />
        <${Timeline} order=${order} />
      </section>
    </div>
        ${can(session, "admin") &&
          html`
            <${AuditTrail} key=${order.updatedAt} id=${id} title="Audit trail: the order"
              session=${session} />
          `}
        ${can(session, "admin") && order.saga &&
          html`
            <${AuditTrail} key=${`${order.saga.status}/${order.saga.completedSteps.length}`}
              id=${order.saga.sagaId} title="Audit trail: its saga (steps and compensations)"
              session=${session} />
          `}
  `;
}
