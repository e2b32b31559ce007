/** The GraphQL schema of the gateway (SDL). */
export const typeDefs = /* GraphQL */ `
  "One ancestor on a category's path from the root."
  type PathSegment {
    id: ID!
    name: String!
  }

  type Category {
    id: ID!
    name: String!
    description: String
    parent: Category
    children: [Category!]!
    "Ancestors from the root down to this category, inclusive."
    path: [PathSegment!]!
    "1 for a root category."
    depth: Int!
    createdAt: String!
    updatedAt: String!
  }

  input CreateCategoryInput {
    "Optional client-chosen id (UUID); generated when omitted."
    id: ID
    "1 to 100 characters after trimming."
    name: String!
    description: String
    "Parent category; a root category when omitted."
    parentId: ID
  }

  type Query {
    category(id: ID!): Category
    categories: [Category!]!
  }

  type Mutation {
    createCategory(input: CreateCategoryInput!): Category!
  }
`;
