import { deriveId } from "@shared/domain/shared/ids.ts";

/** A category of the demo catalogue. */
export interface SeedCategory {
  id: string;
  name: string;
  description: string;
  parentId: string | undefined;
  level: number;
}

/** A product of the demo catalogue. */
export interface SeedProduct {
  id: string;
  name: string;
  description: string;
  price: string;
  categoryId: string;
  stock: number;
}

const departments: Record<string, string[]> = {
  Footwear: ["Running", "Hiking", "Casual"],
  Apparel: ["Jackets", "Shirts", "Trousers"],
  Outdoor: ["Tents", "Backpacks", "Sleeping"],
  Electronics: ["Audio", "Cameras", "Wearables"],
  Home: ["Kitchen", "Lighting", "Textiles"],
};
const leaves = ["Essentials", "Pro", "Kids"];
const adjectives = ["Classic", "Light", "Rugged", "Urban", "Trail", "Compact", "Deluxe", "Eco"];
const nouns = ["Edition", "Series", "Model", "Line"];

/** A small deterministic pseudo-random generator (mulberry32), so every run seeds the same data. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The demo catalogue: 5 departments × 3 groups × 3 lines = 5 + 15 + 45 = 65
 * categories in a three-level tree, and 27 products in each of the 45 leaves
 * (1,215 products), with prices from 1.00 to 999.99 and stock from 0 to 250.
 */
export function catalogue(): { tree: SeedCategory[]; items: SeedProduct[] } {
  const tree: SeedCategory[] = [];
  const items: SeedProduct[] = [];
  const next = random(42);
  for (const [department, groups] of Object.entries(departments)) {
    const top = deriveId("seed-category", department);
    tree.push({
      id: top,
      name: department,
      description: `All ${department.toLowerCase()}`,
      parentId: undefined,
      level: 1,
    });
    for (const group of groups) {
      const mid = deriveId("seed-category", department, group);
      tree.push({
        id: mid,
        name: group,
        description: `${group} in ${department}`,
        parentId: top,
        level: 2,
      });
      for (const leaf of leaves) {
        const id = deriveId("seed-category", department, group, leaf);
        tree.push({
          id,
          name: `${group} ${leaf}`,
          description: `${leaf} ${group.toLowerCase()}`,
          parentId: mid,
          level: 3,
        });
        for (let i = 1; i <= 27; i++) {
          const adjective = adjectives[Math.floor(next() * adjectives.length)]!;
          const noun = nouns[Math.floor(next() * nouns.length)]!;
          const name = `${adjective} ${group} ${leaf} ${noun} ${i}`;
          const cents = 100 + Math.floor(next() * 99_900);
          items.push({
            id: deriveId("seed-product", department, group, leaf, String(i)),
            name,
            description: `${adjective} ${group.toLowerCase()} for everyday use`,
            price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`,
            categoryId: id,
            stock: Math.floor(next() * 251),
          });
        }
      }
    }
  }
  return { tree, items };
}
