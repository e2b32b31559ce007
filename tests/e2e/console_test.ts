import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { DEVELOPMENT_SECRET } from "@shared/auth/mod.ts";
import { readModelCaughtUp } from "@shared/testing/db.ts";
import { gql } from "@shared/testing/graphql.ts";
import { startTestSystem, type TestSystem } from "@shared/testing/system.ts";
import { signToken } from "../../services/gateway/auth.ts";
import { launchBrowser, screenshotPath } from "@shared/testing/e2e/browser.ts";

// deno-lint-ignore no-explicit-any
type Data = Record<string, any>;

/** Long enough for a saga on a loaded 2-core machine; the waits end as soon as the page shows it. */
const LIVE_MS = 60_000;

async function api(system: TestSystem, token: string, query: string, variables = {}) {
  const res = await gql<Data>(system.gatewayUrl, query, variables, {
    authorization: `Bearer ${token}`,
  });
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

async function signedIn(browser: Browser, system: TestSystem, role: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  // What the page itself reports, so a failure here names its cause.
  page.on("pageerror", (e) => console.error(`console page error: ${e.message}`));
  await page.goto(`${system.gatewayUrl}/console/`);
  await page.getByLabel("Role").selectOption(role);
  await page.getByRole("button", { name: `Sign in as ${role} (development)` }).click();
  await page.getByText(`(${role})`).waitFor();
  return page;
}

async function shot(page: Page, name: string) {
  const path = screenshotPath(name);
  if (path) await page.screenshot({ path });
}

Deno.test({
  name: "the operator console drives the real system in Chromium",
  // Playwright keeps its browser pipe open between steps; the browser is closed in finally.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const browser = await launchBrowser();
    const system = await startTestSystem({
      PROJECTOR_POLL_MS: "100",
      SAGA_POLL_MS: "100",
      SAGA_TIMER_MS: "200",
    });
    try {
      const admin = await signToken({ sub: "ops-admin", roles: ["admin"] }, {
        secret: DEVELOPMENT_SECRET,
      });
      const { createCategory: trail } = await api(
        system,
        admin,
        `mutation { createCategory(input: {name: "Trail"}) { id } }`,
      );
      // The page reads the read model: it must hold the category before the page opens.
      await readModelCaughtUp(system.db);
      let productId = "";
      let walkerId = "";

      await t.step("staff create a product and set its stock; it shows in the list", async () => {
        const page = await signedIn(browser, system, "staff");
        await page.getByRole("list", { name: "Categories" }).getByText("Trail").waitFor();
        const form = page.getByRole("form", { name: "New product" });
        await form.getByLabel("Name").fill("Ridge Runner");
        await form.getByLabel("Price").fill("19.999");
        await form.getByLabel("Category").selectOption({ label: "Trail" });
        await form.getByRole("button", { name: "Create product" }).click();
        // The server's VALIDATION error shows beside the field it names.
        await form.locator("#price-error").getByText(/decimal/).waitFor();
        await form.getByLabel("Price").fill("19.99");
        await form.getByRole("button", { name: "Create product" }).click();
        await page.waitForURL(/#\/product\//);
        productId = page.url().split("#/product/")[1]!;
        const stock = page.getByRole("form", { name: "Stock" });
        await stock.getByLabel("Quantity in stock").fill("7");
        await stock.getByRole("button", { name: "Set stock" }).click();
        await page.getByTestId("stock").getByText("7").waitFor();
        await shot(page, "product");
        await page.goto(`${system.gatewayUrl}/console/#/catalogue`);
        await page.getByLabel("Search").fill("Ridge");
        await page.getByRole("button", { name: "Search" }).click();
        const row = page.getByRole("row").filter({ hasText: "Ridge Runner" });
        await row.getByText("19.99").waitFor();
        await row.getByRole("cell", { name: "7", exact: true }).waitFor();
        await shot(page, "catalogue");
        await page.context().close();
      });

      await t.step("staff archive a product: badge, out of the list, detail by id", async () => {
        // Archived here rather than Ridge Runner, whose history the time travel step reads.
        const { createProduct } = await api(
          system,
          admin,
          `mutation ($i: CreateProductInput!) { createProduct(input: $i) { id } }`,
          { i: { name: "Ridge Walker", price: "24.00", categoryId: trail.id } },
        );
        walkerId = createProduct.id;
        await readModelCaughtUp(system.db);
        const page = await signedIn(browser, system, "staff");
        await page.goto(`${system.gatewayUrl}/console/#/product/${walkerId}`);
        await page.getByRole("heading", { name: "Ridge Walker" }).waitFor();
        assert.equal(await page.getByTestId("archived").count(), 0);
        await page.getByRole("button", { name: "Archive Ridge Walker" }).click();
        await page.getByTestId("archived").getByText("Archived").waitFor();
        await page.getByRole("button", { name: "Restore Ridge Walker" }).waitFor();
        await shot(page, "product_archived");
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", {
          name: "Catalogue",
        })
          .click();
        await page.getByLabel("Search").fill("Ridge");
        await page.getByRole("button", { name: "Search" }).click();
        await page.getByRole("row").filter({ hasText: "Ridge Runner" }).waitFor();
        assert.equal(await page.getByRole("row").filter({ hasText: "Ridge Walker" }).count(), 0);
        // Out of the lists, still readable by its id.
        await page.goto(`${system.gatewayUrl}/console/#/product/${walkerId}`);
        await page.getByRole("heading", { name: "Ridge Walker" }).waitFor();
        await page.getByTestId("archived").waitFor();
        await page.getByTestId("price").getByText("24.00").waitFor();
        await page.context().close();
      });

      await t.step("staff restore it from the keyboard; it is back in the list", async () => {
        const page = await signedIn(browser, system, "staff");
        await page.goto(`${system.gatewayUrl}/console/#/product/${walkerId}`);
        const restore = page.getByRole("button", { name: "Restore Ridge Walker" });
        await restore.focus();
        await page.keyboard.press("Enter");
        await page.getByTestId("archived").waitFor({ state: "detached" });
        // The same button, still focused, now offers to archive again.
        const archive = page.getByRole("button", { name: "Archive Ridge Walker" });
        await archive.waitFor();
        assert.equal(await archive.evaluate((b) => b.ownerDocument.activeElement === b), true);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", {
          name: "Catalogue",
        })
          .click();
        await page.getByLabel("Search").fill("Ridge");
        await page.getByRole("button", { name: "Search" }).click();
        await page.getByRole("row").filter({ hasText: "Ridge Walker" }).getByText("24.00")
          .waitFor();
        await page.context().close();
      });

      await t.step("an archive the server refuses shows its message in words", async () => {
        const page = await signedIn(browser, system, "staff");
        // This page gets no live updates (its subscriptions are cut), so it stays stale.
        await page.route(
          `${system.gatewayUrl}/graphql`,
          (route) =>
            route.request().headers()["accept"]?.includes("text/event-stream")
              ? route.abort()
              : route.continue(),
        );
        await page.goto(`${system.gatewayUrl}/console/#/product/${walkerId}`);
        const archive = page.getByRole("button", { name: "Archive Ridge Walker" });
        await archive.waitFor();
        // Someone else archives it first; this stale page still offers Archive.
        await api(system, admin, `mutation { archiveProduct(input: {id: "${walkerId}"}) { id } }`);
        await archive.click();
        const alert = page.getByRole("region", { name: "In the catalogue" }).getByRole("alert");
        await alert.getByText(/PRECONDITION/).waitFor();
        const text = await alert.innerText();
        assert.match(text, /Cannot archive product "Ridge Walker": it is already archived/);
        assert.doesNotMatch(text, /\bat \S+:\d+|Error:/);
        await api(system, admin, `mutation { restoreProduct(input: {id: "${walkerId}"}) { id } }`);
        // The next pages read without this write's token: the read model must hold it first.
        await readModelCaughtUp(system.db);
        await page.context().close();
      });

      await t.step("an open product page shows an archive made elsewhere, live", async () => {
        const page = await signedIn(browser, system, "staff");
        await page.goto(`${system.gatewayUrl}/console/#/product/${walkerId}`);
        await page.getByRole("button", { name: "Archive Ridge Walker" }).waitFor();
        await api(system, admin, `mutation { archiveProduct(input: {id: "${walkerId}"}) { id } }`);
        await page.getByTestId("archived").getByText("Archived").waitFor();
        await page.getByRole("button", { name: "Restore Ridge Walker" }).waitFor();
        await api(system, admin, `mutation { restoreProduct(input: {id: "${walkerId}"}) { id } }`);
        await page.getByTestId("archived").waitFor({ state: "detached" });
        await readModelCaughtUp(system.db);
        await page.context().close();
      });

      await t.step("customers and anonymous visitors see neither Archive nor Restore", async () => {
        const shopper = await signedIn(browser, system, "customer");
        await shopper.goto(`${system.gatewayUrl}/console/#/product/${walkerId}`);
        await shopper.getByRole("form", { name: "Place an order" }).waitFor();
        assert.equal(
          await shopper.getByRole("button", { name: /^(Archive|Restore)\b/ }).count(),
          0,
        );
        await shopper.context().close();
        const visitor = await (await browser.newContext()).newPage();
        await visitor.goto(`${system.gatewayUrl}/console/#/product/${walkerId}`);
        await visitor.getByRole("heading", { name: "Ridge Walker" }).waitFor();
        assert.equal(
          await visitor.getByRole("button", { name: /^(Archive|Restore)\b/ }).count(),
          0,
        );
        await visitor.context().close();
      });

      await t.step("a customer's order reaches confirmed live, without a reload", async () => {
        const page = await signedIn(browser, system, "customer");
        await page.goto(`${system.gatewayUrl}/console/#/product/${productId}`);
        const form = page.getByRole("form", { name: "Place an order" });
        await form.getByLabel("Quantity").fill("2");
        await form.getByLabel("Street").fill("1 Main St");
        await form.getByLabel("City").fill("Springfield");
        await form.getByLabel("Postal code").fill("12345");
        await form.getByRole("button", { name: "Place order" }).click();
        await page.waitForURL(/#\/order\//);
        // A marker a reload would wipe out.
        await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
        await page.getByTestId("order-status").getByText("confirmed").waitFor({ timeout: LIVE_MS });
        await page.getByTestId("saga-outcome").getByText("Saga completed").waitFor();
        assert.equal(
          await page.evaluate(() => (globalThis as unknown as { marker: number }).marker),
          42,
        );
        await shot(page, "order");
        await page.context().close();
      });

      await t.step("admins see the live feed and time travel; customers see neither", async () => {
        const page = await signedIn(browser, system, "admin");
        await page.getByRole("link", { name: "Live events" }).click();
        await page.getByRole("heading", { name: "Live events" }).waitFor();
        // Let the feed's subscription start before the order is placed.
        await page.waitForTimeout(500);
        const shopperId = crypto.randomUUID();
        const customer = await signToken({ sub: shopperId, roles: ["customer"] }, {
          secret: DEVELOPMENT_SECRET,
        });
        const { createOrder } = await api(
          system,
          customer,
          `mutation ($i: CreateOrderInput!) { createOrder(input: $i) { id } }`,
          {
            i: {
              customerId: shopperId,
              items: [{ productId, quantity: 1 }],
              shippingAddress: { street: "2 Main St", city: "Springfield", postalCode: "12345" },
            },
          },
        );
        const row = page.getByRole("row").filter({ hasText: createOrder.id })
          .filter({ hasText: "OrderCreated" });
        await row.waitFor({ timeout: LIVE_MS });
        // The user who caused it, from the event's metadata.
        await row.getByRole("cell", { name: shopperId, exact: true }).waitFor();
        await shot(page, "events");
        await page.goto(`${system.gatewayUrl}/console/#/order/${createOrder.id}`);
        await page.getByRole("heading", { name: /its saga/ }).waitFor();
        await page.getByRole("cell", { name: "SagaStarted", exact: true }).waitFor();

        await api(
          system,
          admin,
          `mutation { updateProduct(input: {id: "${productId}", price: "25.00"}) { id } }`,
        );
        await page.getByRole("link", { name: "Time travel", exact: true }).click();
        await page.getByLabel(/Aggregate id/).fill(productId);
        await page.getByRole("button", { name: "Show history" }).click();
        await page.getByTestId("state").getByText(/"price": 2500/).waitFor();
        await page.getByRole("list", { name: "Versions" }).getByRole("button", { name: "v1" })
          .click();
        await page.getByTestId("state").getByText(/"price": 1999/).waitFor();
        await page.getByRole("list", { name: "Versions" }).getByRole("button", { name: "v2" })
          .click();
        await page.getByRole("table", { name: "What changed" }).getByText("2500").waitFor();
        await shot(page, "time_travel");

        await page.getByRole("link", { name: "Operations", exact: true }).click();
        await page.getByRole("row").filter({ hasText: "products" }).first().waitFor();
        await page.getByRole("button", { name: "Rebuild categories" }).click();
        const job = page.getByRole("row").filter({ hasText: "rebuild categories" });
        await job.getByText(/^(done|failed)$/).waitFor({ timeout: LIVE_MS });
        // A failed job names its error in the row.
        assert.match(await job.innerText(), /\bdone\b/);
        await shot(page, "operations");
        await page.context().close();

        const shopper = await signedIn(browser, system, "customer");
        const links = await shopper.getByRole("navigation", { name: "Main" }).getByRole("link")
          .allTextContents();
        assert.deepEqual(links, ["Catalogue", "Orders"]);
        await shopper.goto(`${system.gatewayUrl}/console/#/operations`);
        await shopper.getByRole("alert").getByText("FORBIDDEN").waitFor();
        const refused = await shopper.evaluate(async () => {
          const session = JSON.parse(sessionStorage.getItem("console-session")!);
          const res = await fetch("/graphql", {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: `Bearer ${session.token}`,
            },
            body: JSON.stringify({
              query: 'mutation { rebuildProjection(projection: "products") { id } }',
            }),
          });
          return (await res.json()).errors?.[0]?.extensions?.code;
        });
        assert.equal(refused, "FORBIDDEN");
        await shopper.context().close();
      });
    } finally {
      await browser.close();
      await system.close();
    }
  },
});
