import { useState } from "preact/hooks";
import { can, gql } from "../api.js";
import { html } from "../html.js";
import { ErrorNote, Field, useQuery } from "../ui.js";

// Top-level categories first; each level loads when opened, so a large tree stays cheap.
const ROOTS = "{ categoryTree { category { id name productCount children { id } } } }";
const CHILDREN =
  `query ($id: ID) { categories(parentId: $id) { id name productCount children { id } } }`;

const SEARCH = `query ($input: ProductSearchInput!) {
  searchProductsAdvanced(input: $input) {
    products { id name price stock category { name } }
    pageInfo { page perPage totalCount hasNext }
  }
}`;

function Children({ id, selected, onSelect, level }) {
  const q = useQuery(CHILDREN, { id });
  if (q.error) return html`<${ErrorNote} error=${q.error} />`;
  return html`
    <${Tree} categories=${q.data?.categories ?? []} selected=${selected}
      onSelect=${onSelect} level=${level} />
  `;
}

function Node({ category, selected, onSelect, level }) {
  const [open, setOpen] = useState(false);
  const count = category.children?.length ?? 0;
  return html`<li>
    <button type="button" aria-pressed=${selected === category.id ? "true" : "false"}
      onClick=${() => onSelect(selected === category.id ? null : category.id)}>
      ${category.name} <span class="note">(${category.productCount})</span>
    </button>
    ${
    count > 0 && html`
      <button type="button" class="note" aria-expanded=${String(open)}
        aria-label=${`Subcategories of ${category.name}`}
        onClick=${() => setOpen(!open)}>${open ? "▾" : "▸"} ${count}</button>
    `
  }
    ${
    open &&
    html`<${Children} id=${category.id} selected=${selected} onSelect=${onSelect} level=${
      level + 1
    } />`
  }
  </li>`;
}

function Tree({ categories, selected, onSelect, level = 1 }) {
  // Plain nested lists of buttons: Tab and Enter work without a custom tree widget.
  return html`<ul aria-label=${level === 1 ? "Categories" : undefined}>
    ${
    categories.map((c) =>
      html`
        <${Node} key=${c.id} category=${c} selected=${selected} onSelect=${onSelect}
          level=${level} />
      `
    )
  }
  </ul>`;
}

function NewProduct({ session, categories, onCreated }) {
  const [form, setForm] = useState({ name: "", price: "", description: "", categoryId: "" });
  const [error, setError] = useState(null);
  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const input = { name: form.name, price: form.price, categoryId: form.categoryId };
      if (form.description) input.description = form.description;
      const { createProduct } = await gql(
        "mutation ($i: CreateProductInput!) { createProduct(input: $i) { id name } }",
        { i: input },
        session.token,
      );
      setForm({ name: "", price: "", description: "", categoryId: form.categoryId });
      onCreated(createProduct);
    } catch (err) {
      setError(err);
    }
  };
  return html`
    <form class="panel inline" onSubmit=${submit} aria-label="New product">
      <h2 class="full">New product</h2>
      <${Field} label="Name" name="name" value=${form.name} onInput=${set("name")} error=${error}
        required />
      <${Field} label="Price" name="price" value=${form.price} onInput=${set(
        "price",
      )} error=${error}
        inputmode="decimal" placeholder="19.99" required />
      <${Field} label="Description" name="description" value=${form.description}
        onInput=${set("description")} error=${error} />
      <label>Category
          <select name="categoryId" value=${form.categoryId} required
            onChange=${(e) => set("categoryId")(e.currentTarget.value)}>
            <option value="">Choose…</option>
            ${categories.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
          </select>
        </label>
      <button type="submit" class="primary">Create product</button>
      <${ErrorNote} error=${error?.code === "VALIDATION" && error.fields.length ? null : error} />
    </form>
  `;
}

const ALL = "{ categories { id name depth } }";

function CategoryChoice({ session, onCreated }) {
  const q = useQuery(ALL, {});
  return html`<${NewProduct} session=${session} categories=${
    q.data?.categories ?? []
  } onCreated=${onCreated} />`;
}

/** The catalogue: category tree, product search with price range and paging. */
export function CataloguePage({ session }) {
  const tree = useQuery(ROOTS, {});
  const [category, setCategory] = useState(null);
  const [filters, setFilters] = useState({ text: "", minPrice: "", maxPrice: "" });
  const [applied, setApplied] = useState(filters);
  const [page, setPage] = useState(1);
  const input = { page, perPage: 20 };
  if (applied.text) input.text = applied.text;
  if (applied.minPrice) input.minPrice = applied.minPrice;
  if (applied.maxPrice) input.maxPrice = applied.maxPrice;
  if (category) input.categoryId = category;
  const products = useQuery(SEARCH, { input });
  const result = products.data?.searchProductsAdvanced;
  const roots = (tree.data?.categoryTree ?? []).map((n) => n.category);
  const set = (k) => (v) => setFilters({ ...filters, [k]: v });
  return html`
    <h1>Catalogue</h1>
    <div class="columns">
      <section class="panel tree" aria-labelledby="categories-title">
          <h2 id="categories-title">Categories</h2>
          <${ErrorNote} error=${tree.error} />
          ${tree.loading && !tree.data ? html`<p class="note">Loading…</p>` : ""}
          <${Tree} categories=${roots} selected=${category} onSelect=${(
            id,
          ) => (setCategory(id), setPage(1))} />
        </section>
      <section aria-labelledby="products-title">
          ${can(session, "staff") && html`
            <${CategoryChoice} session=${session}
              onCreated=${(p) => (location.hash = `#/product/${p.id}`)} />
          `}
          <div class="panel">
            <h2 id="products-title">Products</h2>
            <form class="inline" role="search" onSubmit=${(
              e,
            ) => (e.preventDefault(), setApplied(filters), setPage(1))}>
              <${Field} label="Search" name="text" type="search" value=${filters
                .text} onInput=${set("text")}
                error=${products.error} />
              <${Field} label="Min price" name="minPrice" value=${filters.minPrice} onInput=${set(
                "minPrice",
              )}
                error=${products.error} inputmode="decimal" size="8" />
              <${Field} label="Max price" name="maxPrice" value=${filters.maxPrice} onInput=${set(
                "maxPrice",
              )}
                error=${products.error} inputmode="decimal" size="8" />
              <button type="submit">Search</button>
            </form>
            <${ErrorNote} error=${products.error} />
            <table>
              <thead><tr><th>Name</th><th>Category</th><th>Price</th><th>Stock</th></tr></thead>
              <tbody>
                ${(result?.products ?? []).map((p) =>
                  html`
                    <tr>
                      <td><a href=${`#/product/${p.id}`}>${p.name}</a></td>
                      <td>${p.category?.name ?? "—"}</td>
                      <td>${p.price}</td>
                      <td>${p.stock}</td>
                    </tr>
                  `
                )}
              </tbody>
            </table>
            ${result && html`
              <nav class="inline" aria-label="Pages">
                <button type="button" disabled=${page <= 1} onClick=${() =>
                  setPage(page - 1)}>Previous</button>
                <span> Page ${result.pageInfo.page} of ${Math.max(
                  1,
                  Math.ceil(result.pageInfo.totalCount / result.pageInfo.perPage),
                )}
                          (${result.pageInfo.totalCount} products) </span>
                <button type="button" disabled=${!result.pageInfo.hasNext} onClick=${() =>
                  setPage(page + 1)}>Next</button>
              </nav>
            `}
          </div>
        </section>
    </div>
  `;
}
