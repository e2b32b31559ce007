import { z } from "zod";
import { defineService, rpc } from "@shared/grpc/contract.ts";
import { description, name, optional, uuid } from "@shared/domain/shared/fields.ts";

/** What every command returns: the aggregate, its new version and its last event's position. */
export const CommandResult = z.object({
  id: uuid,
  version: z.number().int(),
  transactionId: z.string(),
  position: z.string(),
});

/** The category commands of `cqrs.command.v1.CategoryCommands`. */
export const categoryCommands = defineService(
  "cqrs.command.v1.CategoryCommands",
  "command/v1/command.proto",
  {
    createCategory: rpc(
      "command",
      z.object({
        id: optional(uuid),
        name: name(100),
        description: optional(description),
        parentId: optional(uuid),
      }),
      CommandResult,
    ),
  },
);
