import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";

/** Deeper fragment nesting than this is not looked into: the answer is then "no". */
const MAX_DEPTH = 8;

/**
 * Whether the field being resolved asks for no more than `fields` of its
 * object: leaf fields only, fragments followed, and no directive anywhere
 * (an `@include` or `@skip` is not worked out; it answers no). A resolver
 * that holds those fields already can answer without loading the object.
 */
export function selectsOnly(info: GraphQLResolveInfo, fields: ReadonlySet<string>): boolean {
  const within = (set: SelectionSetNode | undefined, depth: number): boolean =>
    set !== undefined && depth <= MAX_DEPTH && set.selections.every((selection) => {
      if ((selection.directives?.length ?? 0) > 0) return false;
      switch (selection.kind) {
        case Kind.FIELD:
          return fields.has(selection.name.value) && selection.selectionSet === undefined;
        case Kind.INLINE_FRAGMENT:
          return within(selection.selectionSet, depth + 1);
        case Kind.FRAGMENT_SPREAD:
          return within(info.fragments[selection.name.value]?.selectionSet, depth + 1);
      }
    });
  return info.fieldNodes.every((node) => within(node.selectionSet, 0));
}
