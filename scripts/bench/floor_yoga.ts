/**
 * A floor of the end-to-end benchmark: graphql-yoga on Deno.serve with the
 * floors' schema (`floor_schema.ts`), each operation one statement
 * (`floor_data.ts`). What the system's gateway could do with no hop, no
 * event store and no projection.
 *
 * Env: PORT, and the databases of `floor_data.ts`.
 */
import { floorData } from "./floor_data.ts";
import { serveFloor } from "./floor_schema.ts";

serveFloor(await floorData());
