/**
 * `deno task schema`: prints the gateway's GraphQL schema (SDL), with the
 * parts generated from the contracts (the object types that show views,
 * the mutations and their inputs) written out, as introspection shows it.
 */
import { buildSchema, printSchema } from "graphql";
import { typeDefs } from "../services/gateway/schema.ts";
import { consoleTypeDefs } from "../services/gateway/console_schema.ts";

console.log(printSchema(buildSchema(`${typeDefs}\n${consoleTypeDefs}`)));
