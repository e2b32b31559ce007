import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, can, describeToken, gql, loadSession, saveSession } from "./api.js";
import { html } from "./html.js";
import { ErrorNote } from "./ui.js";
import { CataloguePage } from "./pages/catalogue.js";

// The console opens on the catalogue; every other page loads when first visited.
const PAGES = {
  product: () => import("./pages/product.js").then((m) => m.ProductPage),
  orders: () => import("./pages/orders.js").then((m) => m.OrdersPage),
  order: () => import("./pages/order.js").then((m) => m.OrderPage),
  events: () => import("./pages/events.js").then((m) => m.EventsPage),
  "time-travel": () => import("./pages/time_travel.js").then((m) => m.TimeTravelPage),
  operations: () => import("./pages/operations.js").then((m) => m.OperationsPage),
};
const loaded = new Map();

function Lazy({ page, ...props }) {
  const [component, setComponent] = useState(() => loaded.get(page));
  const [error, setError] = useState(null);
  useEffect(() => {
    if (component) return;
    PAGES[page]().then((c) => {
      loaded.set(page, c);
      setComponent(() => c);
    }, () => setError(new ApiError(`The ${page} page could not be loaded`, "UNAVAILABLE")));
  }, [page]);
  if (error) return html`<${ErrorNote} error=${error} />`;
  return component ? html`<${component} ...${props} />` : html`<p>Loading…</p>`;
}

function parseRoute() {
  const [page = "catalogue", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  return { page: page || "catalogue", args: rest.map(decodeURIComponent) };
}

const NAV = [
  { page: "catalogue", label: "Catalogue", role: "anonymous" },
  { page: "orders", label: "Orders", role: "customer" },
  { page: "events", label: "Live events", role: "admin" },
  { page: "time-travel", label: "Time travel", role: "staff" },
  { page: "operations", label: "Operations", role: "admin" },
];

function SignIn({ session, setSession }) {
  const [info, setInfo] = useState(null);
  const [role, setRole] = useState("staff");
  const [token, setToken] = useState("");
  const [error, setError] = useState(null);
  useEffect(() => {
    gql("{ consoleInfo { mode developmentSignIn } }").then(
      (d) => setInfo(d.consoleInfo),
      () => setInfo(null),
    );
  }, []);
  if (session) {
    return html`
      <div class="who">
        <span>Signed in as <strong>${session.subject}</strong> (${session.role})</span>
        <button type="button" onClick=${() => setSession(null)}>Sign out</button>
      </div>
    `;
  }
  const devSignIn = async (e) => {
    e.preventDefault();
    try {
      const { developmentSignIn: s } = await gql(
        "mutation ($role: String!) { developmentSignIn(role: $role) { token subject role } }",
        { role },
      );
      setSession(s);
    } catch (err) {
      setError(err);
    }
  };
  const tokenSignIn = (e) => {
    e.preventDefault();
    try {
      setSession({ token: token.trim(), ...describeToken(token.trim()) });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError("That token cannot be read"));
    }
  };
  return html`<div class="who">
    <form class="inline" onSubmit=${tokenSignIn} aria-label="Sign in with a token">
      <label>Bearer token<input name="token" type="password" value=${token}
        onInput=${(e) => setToken(e.currentTarget.value)} autocomplete="off" /></label>
      <button type="submit">Sign in</button>
    </form>
    ${
    info?.developmentSignIn && html`
      <form class="inline" onSubmit=${devSignIn}
        aria-label="Development sign-in">
        <label>Role<select name="role" value=${role} onChange=${(e) =>
          setRole(e.currentTarget.value)}>
              <option value="customer">customer</option>
              <option value="staff">staff</option>
              <option value="admin">admin</option>
            </select></label>
        <button type="submit" class="primary">Sign in as ${role} (development)</button>
      </form>
    `
  }
    ${error && html`<${ErrorNote} error=${error} />`}
  </div>`;
}

function Page({ route, session }) {
  const props = { session, args: route.args };
  if (route.page === "catalogue") return html`<${CataloguePage} ...${props} />`;
  if (Object.hasOwn(PAGES, route.page)) return html`<${Lazy} page=${route.page} ...${props} />`;
  return html`<p>There is no page "${route.page}". <a href="#/catalogue">Go to the catalogue</a>.</p>`;
}

function App() {
  const [route, setRoute] = useState(parseRoute());
  const [session, setSessionState] = useState(loadSession());
  const [crash, setCrash] = useState(null);
  useEffect(() => {
    const onHash = () => setRoute(parseRoute());
    const onError = (e) => {
      e.preventDefault?.();
      const reason = e.reason ?? e.error;
      setCrash(new ApiError(reason?.message ?? "The console hit an unexpected error", "CONSOLE"));
    };
    addEventListener("hashchange", onHash);
    addEventListener("error", onError);
    addEventListener("unhandledrejection", onError);
    return () => {
      removeEventListener("hashchange", onHash);
      removeEventListener("error", onError);
      removeEventListener("unhandledrejection", onError);
    };
  }, []);
  const setSession = (s) => {
    saveSession(s);
    setSessionState(s);
  };
  return html`
    <header>
      <strong>Operator console</strong>
      <nav aria-label="Main">
        ${NAV.filter((n) => can(session, n.role)).map((n) =>
          html`<a href=${`#/${n.page}`} aria-current=${
            route.page === n.page ? "page" : undefined
          }>${n.label}</a>`
        )}
      </nav>
      <${SignIn} session=${session} setSession=${setSession} />
    </header>
    <main id="main" tabindex="-1">
      <${ErrorNote} error=${crash} />
      <${Page} key=${`${route.page}/${session?.token ?? ""}`} route=${route} session=${session} />
    </main>
  `;
}

const root = document.getElementById("root");
// The loading note goes: Preact renders beside what it did not create.
root.textContent = "";
render(html`<${App} />`, root);
