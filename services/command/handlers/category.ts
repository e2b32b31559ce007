import { categoryCommands } from "@proto/command/v1/contract.ts";
import * as category from "@shared/domain/category/mod.ts";
import { NotFoundError } from "@shared/errors/mod.ts";
import type { EventStore } from "@shared/event_store/mod.ts";
import { bind, type ServiceBinding } from "@shared/grpc/server.ts";
import { type Aggregate, execute, load } from "../aggregate.ts";

/** The category aggregate as the command service runs it. */
export const categoryAggregate: Aggregate<
  category.CategoryState | null,
  category.CategoryCommand,
  category.CategoryEvent
> = {
  type: category.CATEGORY,
  initialState: category.initialState,
  evolve: category.evolve,
  decide: category.decide,
};

/** Binds the category command RPCs to the event store. */
export function categoryHandlers(store: EventStore): ServiceBinding {
  return bind(categoryCommands, {
    async createCategory(input, context) {
      const id = input.id ?? crypto.randomUUID();
      let parent: category.CategoryState | undefined;
      if (input.parentId) {
        parent = (await load(store, categoryAggregate, input.parentId)).state ?? undefined;
        if (!parent) {
          throw new NotFoundError(`Parent category "${input.parentId}" does not exist`, {
            field: "parentId",
          });
        }
      }
      return await execute(store, categoryAggregate, id, (): category.CategoryCommand => ({
        type: "CreateCategory",
        id,
        name: input.name,
        description: input.description,
        parent,
        at: new Date().toISOString(),
      }), context);
    },
  }) as ServiceBinding;
}
