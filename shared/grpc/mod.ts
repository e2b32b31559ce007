export * from "./contract.ts";
export * from "./client.ts";
export * from "./server.ts";
export * from "./metadata.ts";
export * from "./status.ts";
export * from "./validate.ts";
export * from "./proto.ts";
export * from "./resilience.ts";
