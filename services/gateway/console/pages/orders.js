import { useState } from "preact/hooks";
import { can } from "../api.js";
import { html } from "../html.js";
import { Badge, ErrorNote, useQuery } from "../ui.js";

const STATUSES = [
  "pending",
  "confirmed",
  "payment_pending",
  "payment_failed",
  "processing",
  "shipped",
  "delivered",
  "completed",
  "returned",
  "refunded",
  "cancelled",
];
const FIELDS = "id customerId status total createdAt saga { status currentStep }";

function OrderTable({ orders }) {
  if (!orders.length) return html`<p class="note">No orders.</p>`;
  return html`
    <table>
      <thead>
        <tr>
          <th>Order</th>
          <th>Customer</th>
          <th>Status</th>
          <th>Saga</th>
          <th>Total</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>${orders.map((o) =>
        html`
          <tr>
            <td><a href=${`#/order/${o.id}`} class="mono">${o.id.slice(0, 8)}</a></td>
            <td class="mono">${o.customerId}</td>
            <td>
              <${Badge} value=${o.status} />
            </td>
            <td>${o.saga?.status ?? "—"}</td>
            <td>${o.total}</td>
            <td>${o.createdAt}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

/** Orders: by status for staff, a customer's own otherwise. */
export function OrdersPage({ session }) {
  const staff = can(session, "staff");
  const [status, setStatus] = useState("pending");
  const q = useQuery(
    staff
      ? `query ($s: String!) { ordersByStatus(status: $s, perPage: 50) { ${FIELDS} } }`
      : `query ($u: ID!) { userOrders(userId: $u, perPage: 50) { ${FIELDS} } }`,
    staff ? { s: status } : { u: session?.subject ?? "" },
    session?.token,
    Boolean(session),
  );
  if (!session) return html`<p>Sign in to see orders.</p>`;
  return html`
    <h1>Orders</h1>
        ${staff && html`
          <form class="inline panel" onSubmit=${(e) => e.preventDefault()}>
            <label>Status
                  <select name="status" value=${status} onChange=${(e) =>
                    setStatus(e.currentTarget.value)}>
                    ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
                  </select>
                </label>
            <button type="button" onClick=${q.reload}>Refresh</button>
          </form>
        `}
        <div class="panel">
      <${ErrorNote} error=${q.error} />
      <${OrderTable} orders=${q.data?.ordersByStatus ?? q.data?.userOrders ?? []} />
    </div>
  `;
}
