/** Test harness of the command service: fresh databases, the service in-process, typed clients. */
import assert from "node:assert/strict";
import {
  categoryCommands,
  orderCommands,
  productCommands,
  sagaStepCommands,
} from "@proto/command/v1/contract.ts";
import { AppError, type ErrorCode, ValidationError } from "@shared/errors/mod.ts";
import { createClient } from "@shared/grpc/client.ts";
import type { Client } from "@shared/grpc/contract.ts";
import type { Logger } from "@shared/log/mod.ts";
import { actingAs, bearer, sagaBearer } from "./auth.ts";
import { createTestDatabases, type StoredEvent, storedEvents, type TestDatabases } from "./db.ts";
import {
  type CommandService,
  type CommandServiceOptions,
  startCommandService,
} from "../../services/command/app.ts";

/** A command service on fresh databases, with admin clients of its three services. */
export interface TestService {
  db: TestDatabases;
  service: CommandService;
  categories: Client<typeof categoryCommands>;
  products: Client<typeof productCommands>;
  orders: Client<typeof orderCommands>;
  /** Errors the service logged as internal: a test expects none. */
  internalErrors: unknown[];
  /** Every event, in global order, or those of one stream. */
  events(streamId?: string): Promise<StoredEvent[]>;
  eventCount(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the command service on port 0 over fresh, migrated databases. */
export async function startTestService(
  options: Partial<CommandServiceOptions> = {},
): Promise<TestService> {
  const db = await createTestDatabases();
  const internalErrors: unknown[] = [];
  const service = await startCommandService({
    eventStoreUrl: db.eventStoreUrl,
    port: 0,
    host: "127.0.0.1",
    logger: recordingLogger(internalErrors),
    poolSize: 20,
    ...options,
  });
  const address = `127.0.0.1:${service.port}`;
  const deadlines = { deadlines: { command: 20_000 } };
  // Acting as an admin: these tests are about the commands; access is tested on its own.
  const { authorization } = await bearer("test-admin", ["admin"]);
  const categories = actingAs(createClient(categoryCommands, address, deadlines), authorization);
  const products = actingAs(createClient(productCommands, address, deadlines), authorization);
  const orders = actingAs(createClient(orderCommands, address, deadlines), authorization);
  return {
    db,
    service,
    categories,
    products,
    orders,
    internalErrors,
    events: (streamId) => storedEvents(db.eventStore, streamId),
    async eventCount() {
      const [row] = await db.eventStore<{ n: number }[]>`SELECT count(*)::int AS n FROM events`;
      return row?.n ?? 0;
    },
    async stop() {
      categories.close();
      products.close();
      orders.close();
      await service.stop();
      await db.drop();
    },
  };
}

/**
 * A client of a command service's saga step RPCs (one listening on
 * 127.0.0.1), calling as the saga does: with its service token.
 */
export async function sagaSteps(
  service: { port: number },
): Promise<Client<typeof sagaStepCommands>> {
  return actingAs(
    createClient(sagaStepCommands, `127.0.0.1:${service.port}`),
    (await sagaBearer()).authorization,
  );
}

/** Creates a product priced 1.00 in `categoryId` with `stock` units; its id. */
export async function stockedProduct(
  s: TestService,
  categoryId: string,
  name: string,
  stock: number,
): Promise<string> {
  const { id } = await s.products.createProduct(
    { name, price: "1.00", categoryId },
    commandMeta(),
  );
  await s.products.setStock({ productId: id, quantity: stock }, commandMeta());
  return id;
}

/** What a refusal must say: its code, a message pattern and the field it names. */
export interface Refusal {
  code: ErrorCode;
  message: RegExp;
  field: string;
}

/** Asserts that a call is refused with this code, message and field. */
export async function assertRefused(call: Promise<unknown>, expected: Refusal): Promise<void> {
  const err = await call.then(
    () => assert.fail(`expected ${expected.code}, but the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
  assert.equal(err.code, expected.code, err.message);
  assert.match(err.message, expected.message);
  const fields = err instanceof ValidationError
    ? err.issues.map((i) => i.field)
    : [err.details.field];
  assert.ok(fields.includes(expected.field), `field ${expected.field} not in ${fields.join(", ")}`);
}

/** A command id for call metadata. */
export function commandMeta(commandId = crypto.randomUUID()): { metadata: { commandId: string } } {
  return { metadata: { commandId } };
}

/** A logger that keeps errors (and prints them) and drops the rest. */
export function recordingLogger(errors: unknown[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (message, fields) => {
      errors.push({ message, ...fields });
      console.error(message, fields);
    },
    child: () => logger,
  };
  return logger;
}
