/**
 * The peer of the end-to-end benchmark: Emmett 0.42 command handling behind
 * node:http. Each POST is a CreateProduct command: Emmett's CommandHandler
 * reads the product's stream (empty), folds it, decides one ProductCreated
 * and appends it with its expected version to Emmett's PostgreSQL event
 * store. No GraphQL, no second process: Emmett's own way of handling a
 * command.
 *
 * Env: PORT, DATABASE_URL. The packages are installed from npm when it runs
 * (`deno run --no-lock`); the specifiers are built at run time so that type
 * checks never fetch them.
 */
import { Buffer } from "node:buffer";
import { createServer } from "node:http";

type Event = { type: string; data: Record<string, unknown> };
type State = { exists: boolean };

const emmett = await import(["npm:@event-driven-io", "emmett@0.42.0"].join("/")) as {
  CommandHandler: (options: {
    evolve: (state: State, event: Event) => State;
    initialState: () => State;
  }) => (
    store: unknown,
    id: string,
    handle: (state: State) => Event | Event[],
  ) => Promise<{ nextExpectedStreamVersion: bigint }>;
};
const postgres = await import(["npm:@event-driven-io", "emmett-postgresql@0.42.0"].join("/")) as {
  getPostgreSQLEventStore(url: string): {
    appendToStream(stream: string, events: Event[]): Promise<unknown>;
    close(): Promise<void>;
  };
};

const store = postgres.getPostgreSQLEventStore(Deno.env.get("DATABASE_URL")!);
// The first append creates Emmett's schema.
await store.appendToStream(`warmup-${crypto.randomUUID()}`, [{ type: "Warm", data: {} }]);

const handle = emmett.CommandHandler({
  evolve: (_state, event) => ({ exists: event.type === "ProductCreated" }),
  initialState: () => ({ exists: false }),
});

const server = createServer((req, res) => {
  const chunks: Uint8Array[] = [];
  req.on("data", (c: Uint8Array) => chunks.push(c));
  req.on("end", async () => {
    try {
      const body = JSON.parse(new TextDecoder().decode(Buffer.concat(chunks))) as {
        variables?: { input?: { name?: string; price?: string; categoryId?: string } };
      };
      const input = body.variables?.input ?? {};
      const id = crypto.randomUUID();
      const result = await handle(store, `product-${id}`, (state) => {
        if (state.exists) throw new Error("product exists");
        return {
          type: "ProductCreated",
          data: { id, name: input.name, price: input.price, categoryId: input.categoryId },
        };
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({
        data: {
          createProduct: {
            id,
            name: input.name,
            version: String(result.nextExpectedStreamVersion),
          },
        },
      }));
    } catch (err) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ message: String(err) }] }));
    }
  });
});
server.listen(Number(Deno.env.get("PORT")), "127.0.0.1", () => console.log("ready"));
