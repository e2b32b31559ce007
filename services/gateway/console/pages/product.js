import { useEffect, useState } from "preact/hooks";
import { can, gql, subscribe } from "../api.js";
import { html } from "../html.js";
import { ErrorNote, Field, useQuery } from "../ui.js";

const PRODUCT = `query ($id: ID!) { product(id: $id) {
  id name description price stock createdAt updatedAt archived category { id name } } }`;

function Edit({ product, session, onSaved }) {
  const [form, setForm] = useState({
    name: product.name,
    price: product.price,
    description: product.description ?? "",
    changeReason: "",
  });
  const [error, setError] = useState(null);
  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const input = { id: product.id };
    if (form.name !== product.name) input.name = form.name;
    if (form.price !== product.price) input.price = form.price;
    if (form.description !== (product.description ?? "")) input.description = form.description;
    if (form.changeReason) input.changeReason = form.changeReason;
    try {
      await gql("mutation ($i: UpdateProductInput!) { updateProduct(input: $i) { id } }", {
        i: input,
      }, session.token);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return html`
    <form class="panel inline" onSubmit=${submit} aria-label="Edit product">
      <h2 class="full">Edit</h2>
      <${Field} label="Name" name="name" value=${form.name} onInput=${set("name")} error=${error} />
      <${Field} label="Price" name="price" value=${form.price} onInput=${set(
        "price",
      )} error=${error}
        inputmode="decimal" />
      <${Field} label="Description" name="description" value=${form.description} onInput=${set(
        "description",
      )}
        error=${error} />
      <${Field} label="Reason for the change" name="changeReason" value=${form.changeReason}
        onInput=${set("changeReason")} error=${error} />
      <button type="submit" class="primary">Save changes</button>
      <${ErrorNote} error=${error} />
    </form>
  `;
}

function Stock({ product, session, onSaved }) {
  const [quantity, setQuantity] = useState(String(product.stock));
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const n = Number(quantity);
    try {
      await gql(
        "mutation ($i: SetStockInput!) { setStock(input: $i) { id stock } }",
        { i: { productId: product.id, quantity: Number.isInteger(n) ? n : -1 } },
        session.token,
      );
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return html`
    <form class="panel inline" onSubmit=${submit} aria-label="Stock">
      <h2 class="full">Stock</h2>
      <${Field} label="Quantity in stock" name="quantity" type="number" min="0" value=${quantity}
        onInput=${setQuantity} error=${error} />
      <button type="submit" class="primary">Set stock</button>
      <${ErrorNote} error=${error} />
    </form>
  `;
}

const ARCHIVE = "mutation ($i: ArchiveProductInput!) { archiveProduct(input: $i) { id archived } }";
const RESTORE = "mutation ($i: RestoreProductInput!) { restoreProduct(input: $i) { id archived } }";

/**
 * Archive or restore (staff): an archived product leaves every catalogue list
 * and search and can no longer be ordered, but stays readable here by id.
 * Restore undoes it, so neither asks for a confirmation. The button stays
 * focused (aria-disabled, not disabled, while it works) and turns from
 * Archive to Restore, so a keyboard user can undo at once.
 */
function Archive({ product, session, onSaved }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const action = product.archived ? "Restore" : "Archive";
  const run = async () => {
    if (busy) return;
    setError(null);
    setBusy(true);
    try {
      await gql(product.archived ? RESTORE : ARCHIVE, { i: { id: product.id } }, session.token);
      await onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const note = product.archived
    ? "Archived: out of every catalogue list and search, and it cannot be ordered."
    : "Listed. Archiving takes it out of the lists and stops orders; it stays readable here.";
  return html`
    <section class="panel" aria-labelledby="archive-title">
      <h2 id="archive-title">In the catalogue</h2>
      <p class="note" id="archive-note">${note}</p>
      <button type="button" aria-disabled=${String(busy)} aria-label=${`${action} ${product.name}`}
        aria-describedby="archive-note" onClick=${run}>${action}</button>
      <${ErrorNote} error=${error} />
    </section>
  `;
}

function Order({ product, session }) {
  const [form, setForm] = useState({ quantity: "1", street: "", city: "", postalCode: "" });
  const [error, setError] = useState(null);
  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const { createOrder } = await gql(
        "mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }",
        {
          i: {
            customerId: session.subject,
            items: [{ productId: product.id, quantity: Number(form.quantity) || 0 }],
            shippingAddress: { street: form.street, city: form.city, postalCode: form.postalCode },
          },
        },
        session.token,
      );
      location.hash = `#/order/${createOrder.id}`;
    } catch (err) {
      setError(err);
    }
  };
  return html`
    <form class="panel inline" onSubmit=${submit} aria-label="Place an order">
      <h2 class="full">Order this product</h2>
      <${Field} label="Quantity" name="quantity" type="number" min="1" value=${form.quantity}
        onInput=${set("quantity")} error=${error} />
      <${Field} label="Street" name="street" value=${form.street} onInput=${set("street")}
        error=${error} />
      <${Field} label="City" name="city" value=${form.city} onInput=${set("city")} error=${error} />
      <${Field} label="Postal code" name="postalCode" value=${form.postalCode} onInput=${set(
        "postalCode",
      )}
        error=${error} />
      <button type="submit" class="primary">Place order</button>
      <${ErrorNote} error=${error} />
    </form>
  `;
}

/**
 * One product with its stock; staff edit it, set its stock, archive and
 * restore it; shoppers order it while it is not archived.
 */
export function ProductPage({ session, args }) {
  const [id] = args;
  const q = useQuery(PRODUCT, { id }, session?.token);
  // Stays current as anyone changes it: every committed change reloads it.
  useEffect(
    () =>
      subscribe(
        "subscription ($id: ID) { productUpdated(id: $id) { id } }",
        { id },
        session?.token,
        () => q.reload(),
        () => {},
      ),
    [id, q.reload],
  );
  const product = q.data?.product;
  if (q.error) return html`<${ErrorNote} error=${q.error} />`;
  if (!product) return html`<p>${q.loading ? "Loading…" : "No such product."}</p>`;
  return html`<h1>${product.name}${
    product.archived && html`
      <span class="badge archived" data-testid="archived">Archived</span>
    `
  }</h1>
    <div class="panel">
      <dl>
        <dt>Price</dt><dd data-testid="price">${product.price}</dd>
        <dt>In stock</dt><dd data-testid="stock">${product.stock}</dd>
        <dt>Category</dt><dd>${product.category?.name ?? "—"}</dd>
        <dt>Description</dt><dd>${product.description ?? "—"}</dd>
        <dt>Updated</dt><dd>${product.updatedAt}</dd>
      </dl>
      ${
    can(session, "staff") &&
    html`<a href=${`#/time-travel/${product.id}`}>Time travel on this product</a>`
  }
    </div>
    ${
    can(session, "staff") && html`
      <${Edit} key=${product.updatedAt} product=${product} session=${session} onSaved=${q.reload} />
      <${Stock} key=${`s${product.stock}`} product=${product} session=${session} onSaved=${q
        .reload} />
      <${Archive} product=${product} session=${session} onSaved=${q.reload} />
    `
  }
    ${
    session?.role === "customer" && (product.archived
      ? html`<p class="note">This product is archived: it cannot be ordered.</p>`
      : html`<${Order} product=${product} session=${session} />`)
  }`;
}
