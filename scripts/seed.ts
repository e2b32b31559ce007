/**
 * `deno task seed`: loads a demo catalogue through the public commands of the
 * command service: 60 categories in a three-level tree and 1,200 products,
 * each with stock. Ids and command ids are derived from the names, so running
 * it again changes nothing (every command is answered from its first result).
 * The command service lets only staff change the catalogue: the script acts
 * as `seed` (staff) with a token it signs with JWT_SECRET (or the development
 * secret), or with SEED_TOKEN when an identity provider issues the tokens.
 */
import { z } from "zod";
import { categoryCommands, productCommands } from "@proto/command/v1/contract.ts";
import { DEVELOPMENT_SECRET, signServiceToken } from "@shared/auth/mod.ts";
import { authVars } from "@shared/auth/config.ts";
import { addressVar, loadConfig } from "@shared/config/mod.ts";
import { deriveId } from "@shared/domain/shared/ids.ts";
import { createClient } from "@shared/grpc/mod.ts";
import { forEachLimit } from "@shared/runtime/for_each_limit.ts";
import { catalogue } from "./seed_catalogue.ts";

const config = loadConfig(z.object({
  COMMAND_SERVICE_ADDRESS: addressVar.default("127.0.0.1:50051"),
  SEED_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  SEED_TOKEN: z.string().min(1).optional(),
  ...authVars,
}));

const token = config.SEED_TOKEN ?? await signServiceToken({ subject: "seed", roles: ["staff"] }, {
  secret: config.JWT_SECRET ?? DEVELOPMENT_SECRET,
  ttlSeconds: Math.min(3600, config.JWT_MAX_LIFETIME_S),
  ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
  ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
});
const categories = createClient(categoryCommands, config.COMMAND_SERVICE_ADDRESS);
const products = createClient(productCommands, config.COMMAND_SERVICE_ADDRESS);
const meta = (what: string, ...ids: string[]) => ({
  metadata: {
    commandId: deriveId("seed", what, ...ids),
    correlationId: "seed",
    authorization: `Bearer ${token}`,
  },
});

const started = performance.now();
const { tree, items } = catalogue();
try {
  // Parents before children: one level at a time.
  for (const level of [1, 2, 3]) {
    await forEachLimit(
      tree.filter((c) => c.level === level),
      config.SEED_CONCURRENCY,
      async (c) => {
        await categories.createCategory({
          id: c.id,
          name: c.name,
          description: c.description,
          ...(c.parentId ? { parentId: c.parentId } : {}),
        }, meta("category", c.id));
      },
    );
  }
  await forEachLimit(items, config.SEED_CONCURRENCY, async (p) => {
    await products.createProduct({
      id: p.id,
      name: p.name,
      description: p.description,
      price: p.price,
      categoryId: p.categoryId,
    }, meta("product", p.id));
    await products.setStock({ productId: p.id, quantity: p.stock }, meta("stock", p.id));
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`seeded ${tree.length} categories and ${items.length} products in ${seconds} s`);
} finally {
  categories.close();
  products.close();
}
