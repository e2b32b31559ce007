import { formatCents } from "@shared/domain/shared/money.ts";
import {
  type EventStore,
  ORIGIN,
  type Position,
  type RecordedEvent,
} from "@shared/event_store/mod.ts";
import { Scenario } from "./scenario.ts";
import { reached } from "@shared/projection/consistency.ts";

/** A small deterministic generator (mulberry32), so a workload can be built again alike. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Product {
  id: string;
  cents: number;
  stock: number;
  categoryId: string;
  deleted: boolean;
}

interface OpenOrder {
  id: string;
  lines: { product: Product; quantity: number }[];
}

/** Options of {@link buildWorkload}. */
export interface WorkloadOptions {
  /** Seed of the random choices; default 1. */
  seed?: number;
  /** Share of order traffic (orders, reservations, sagas) among the operations; default 0.35. */
  orders?: number;
}

/**
 * Builds `count` events as the write side records them: a category tree,
 * then products with their stock, and a mix of product updates, price
 * changes, restocks, orders with their reservations and sagas,
 * cancellations, deletions and category renames.
 */
export function buildWorkload(count: number, options: WorkloadOptions = {}): RecordedEvent[] {
  const rnd = random(options.seed ?? 1);
  const orderShare = options.orders ?? 0.35;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const s = new Scenario();
  const roots = Array.from({ length: 8 }, (_, i) => s.createCategory(`Department ${i}`));
  const categories = [...roots];
  for (let i = 0; i < 32; i++) categories.push(s.createCategory(`Aisle ${i}`, pick(roots)));
  const products: Product[] = [];
  const open: OpenOrder[] = [];
  let n = 0;

  const newProduct = () => {
    const cents = 100 + Math.floor(rnd() * 99_900);
    const categoryId = pick(categories);
    const id = s.createProduct(`Product ${n++}`, formatCents(cents), categoryId, {
      description: `A fine product for ${Math.floor(rnd() * 1000)} uses`,
    });
    const stock = 20 + Math.floor(rnd() * 200);
    s.setStock(id, stock);
    products.push({ id, cents, stock, categoryId, deleted: false });
  };
  const live = () => {
    for (let tries = 0; tries < 10; tries++) {
      const p = pick(products);
      if (!p.deleted) return p;
    }
    return undefined;
  };
  const order = () => {
    const lines: OpenOrder["lines"] = [];
    for (let i = 1 + Math.floor(rnd() * 2); i > 0; i--) {
      const product = live();
      if (!product || lines.some((l) => l.product === product)) continue;
      lines.push({ product, quantity: 1 + Math.floor(rnd() * 3) });
    }
    if (lines.length === 0) return;
    const subtotal = lines.reduce((sum, l) => sum + l.product.cents * l.quantity, 0);
    const id = s.createOrder({
      customerId: crypto.randomUUID(),
      items: lines.map((l) => ({
        productId: l.product.id,
        productName: `Product ${l.product.id.slice(0, 8)}`,
        quantity: l.quantity,
        unitPrice: formatCents(l.product.cents),
      })),
      subtotal: formatCents(subtotal),
      tax: "0.00",
      shipping: "5.00",
      total: formatCents(subtotal + 500),
    });
    const at = s.log.now();
    s.saga(id, "SagaStarted", {
      order: { items: [], total: formatCents(subtotal + 500), shippingAddress: {} },
      stepTimeoutMs: 30_000,
      sagaTimeoutMs: 300_000,
      startedAt: at,
    });
    for (const line of lines) {
      if (line.product.stock < line.quantity) {
        s.setStock(line.product.id, line.product.stock + 100, line.product.stock);
        line.product.stock += 100;
      }
      line.product.stock -= line.quantity;
      s.reserve(line.product.id, id, line.quantity, line.product.stock);
      s.saga(id, "SagaStepCompleted", {
        step: "reserve_inventory",
        productId: line.product.id,
        completedAt: at,
      });
    }
    s.saga(id, "SagaStepCompleted", {
      step: "reserve_inventory",
      productId: null,
      completedAt: at,
    });
    if (rnd() < 0.6) {
      for (const step of ["process_payment", "arrange_shipping", "confirm_order"]) {
        s.saga(id, "SagaStepCompleted", { step, productId: null, completedAt: at });
      }
      s.changeStatus(id, "pending", "confirmed");
      s.saga(id, "SagaCompleted", { completedAt: at });
    } else {
      open.push({ id, lines });
    }
  };
  const cancel = () => {
    const o = open.splice(Math.floor(rnd() * open.length), 1)[0];
    if (!o) return;
    s.cancelOrder(o.id, "pending", "changed my mind");
    for (const line of o.lines) {
      line.product.stock += line.quantity;
      s.release(line.product.id, o.id, line.quantity, line.product.stock);
    }
  };

  const initial = Math.floor(count * 0.1);
  do newProduct(); while (s.events.length < initial);
  while (s.events.length < count) {
    const r = rnd();
    const p = live();
    if (r < orderShare * 0.85) order();
    else if (r < orderShare) cancel();
    else if (r < orderShare + 0.2 || !p) newProduct();
    else if (r < orderShare + 0.35) s.updateProduct(p.id, { name: `Product ${n++}` });
    else if (r < orderShare + 0.42) s.updateProduct(p.id, { description: `Now ${n++}% better` });
    else if (r < orderShare + 0.5) {
      const cents = Math.max(1, Math.round(p.cents * (0.5 + rnd())));
      s.changePrice(p.id, formatCents(p.cents), formatCents(cents));
      p.cents = cents;
    } else if (r < orderShare + 0.58) {
      const stock = Math.floor(rnd() * 300);
      s.setStock(p.id, stock, p.stock);
      p.stock = stock;
    } else if (r < orderShare + 0.6) {
      s.deleteProduct(p.id);
      p.deleted = true;
    } else if (r < orderShare + 0.605) {
      s.renameCategory(pick(categories), `Renamed ${n++}`);
    } else {
      const target = pick(categories.filter((c) => c !== p.categoryId));
      s.updateProduct(p.id, { categoryId: target });
      p.categoryId = target;
    }
  }
  return s.events.slice(0, count);
}

/**
 * Appends recorded events to a store, in order, `chunk` events per
 * transaction (each stream's events of a chunk go together, in order).
 * Returns the position of the last event.
 */
export async function appendWorkload(
  store: EventStore,
  events: readonly RecordedEvent[],
  chunk = 2000,
): Promise<Position | undefined> {
  let last: Position | undefined;
  for (let start = 0; start < events.length; start += chunk) {
    const streams = new Map<string, { aggregateType: string; events: RecordedEvent[] }>();
    for (const event of events.slice(start, start + chunk)) {
      const stream = streams.get(event.aggregateId) ??
        { aggregateType: event.aggregateType, events: [] };
      stream.events.push(event);
      streams.set(event.aggregateId, stream);
    }
    const results = await store.appendMany(
      [...streams].map(([streamId, stream]) => ({
        streamId,
        aggregateType: stream.aggregateType,
        expectedVersion: stream.events[0]!.version - 1 || "no_stream",
        events: stream.events.map((e) => ({ type: e.type, data: e.data, eventId: e.eventId })),
      })),
    );
    for (const r of results) {
      const p = r.positions.at(-1);
      if (p && (!last || BigInt(p.id) > BigInt(last.id))) last = p;
    }
  }
  return last;
}

/** Options of {@link seedEvents}. */
export interface SeedOptions extends WorkloadOptions {
  /**
   * Independent workloads (each its own catalogue) appended side by side, so
   * the store's group commit carries several at once; default 4.
   */
  lanes?: number;
  /** Events per append of a lane; default 1000. */
  chunk?: number;
}

/**
 * Builds about `count` events in lanes (see {@link SeedOptions}), appends
 * them, and waits until they are visible to gap-safe readers. Returns the
 * position of the last one.
 */
export async function seedEvents(
  store: EventStore,
  count: number,
  options: SeedOptions = {},
): Promise<Position> {
  const lanes = options.lanes ?? 4;
  const seed = options.seed ?? 1;
  const workloads = Array.from(
    { length: lanes },
    (_, i) => buildWorkload(Math.ceil(count / lanes), { ...options, seed: seed * 1000 + i }),
  );
  const ends = await Promise.all(
    workloads.map((w) => appendWorkload(store, w, options.chunk ?? 1000)),
  );
  const last = ends.reduce<Position>(
    (a, b) => (b && reached(b, a) ? b : a),
    ORIGIN,
  );
  await waitSettled(store, last);
  return last;
}

/**
 * Waits until an appended event is visible to gap-safe readers: until every
 * transaction older than its own has ended, in the whole server (another
 * database's long transaction holds the horizon back too).
 */
export async function waitSettled(
  store: EventStore,
  position: Position,
  timeoutMs = 30_000,
): Promise<void> {
  const before = { transactionId: position.transactionId, id: String(BigInt(position.id) - 1n) };
  const deadline = Date.now() + timeoutMs;
  while ((await store.readAll(before, 1)).length === 0) {
    if (Date.now() > deadline) throw new Error(`Event ${position.id} did not settle in time`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
