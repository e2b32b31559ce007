import { ConflictError, NotFoundError, PreconditionError } from "@shared/errors/mod.ts";
import {
  type CategoryCommand,
  type CategoryEvent,
  type CategoryState,
  MAX_DEPTH,
} from "./types.ts";

/** Decides which events a category command produces, or throws the rule it breaks. */
export function decide(command: CategoryCommand, state: CategoryState | null): CategoryEvent[] {
  switch (command.type) {
    case "CreateCategory": {
      if (state) {
        throw new ConflictError(`Cannot create category "${command.id}": it already exists`, {
          field: "id",
        });
      }
      const parent = command.parent;
      if (parent?.deleted) {
        throw new PreconditionError(
          `Cannot create category "${command.name}": parent "${parent.name}" is deleted`,
          { field: "parentId" },
        );
      }
      const path = [...(parent?.path ?? []), { id: command.id, name: command.name }];
      if (path.length > MAX_DEPTH) {
        throw new PreconditionError(
          `Cannot create category "${command.name}": it would sit at depth ${path.length}, deeper than ${MAX_DEPTH}`,
          { field: "parentId" },
        );
      }
      return [{
        type: "CategoryCreated",
        data: {
          id: command.id,
          name: command.name,
          description: command.description ?? null,
          parentId: parent?.id ?? null,
          path,
          depth: path.length,
          createdAt: command.at,
        },
      }];
    }
    default: {
      const never: never = command.type;
      throw new NotFoundError(`Unknown command "${String(never)}"`);
    }
  }
}
