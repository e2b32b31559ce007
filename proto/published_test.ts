/**
 * The v1 messages as they were published: every field a client of v1 may
 * know keeps its name, number, type and label, whatever the contracts that
 * generate the protos become. New fields and messages are free; a field
 * moved within its zod object (which renumbers it), renamed, retyped or
 * removed is a breaking change, for a v2 package.
 */
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import "./command/v1/contract.ts";
import "./query/v1/contract.ts";
import { protoFiles, protoText } from "@shared/grpc/proto_text.ts";

/** Each message's fields as v1 published them, in `.proto` notation. */
const published: Record<string, Record<string, string>> = {
  "command/v1/command.proto": {
    ReserveInventoryRequest: "string order_id = 1; string product_id = 2; int32 quantity = 3",
    ReleaseInventoryRequest: "string order_id = 1; string product_id = 2",
    ProcessPaymentRequest: "string order_id = 1; string amount = 2",
    RefundPaymentRequest: "string order_id = 1",
    ArrangeShippingRequest: "string order_id = 1; Address address = 2",
    CancelShippingRequest: "string order_id = 1",
    CommandResult:
      "string id = 1; int32 version = 2; string transaction_id = 3; string position = 4; optional string state = 5",
    CreateCategoryRequest:
      "optional string id = 1; string name = 2; optional string description = 3; optional string parent_id = 4",
    UpdateCategoryRequest:
      "string id = 1; optional string name = 2; optional string description = 3; optional string parent_id = 4; optional bool make_root = 5",
    DeleteCategoryRequest:
      "string id = 1; optional string reason = 2; optional string reassign_products_to = 3",
    CreateProductRequest:
      "optional string id = 1; string name = 2; optional string description = 3; string price = 4; string category_id = 5",
    UpdateProductRequest:
      "string id = 1; optional string name = 2; optional string description = 3; optional string price = 4; optional string category_id = 5; optional string change_reason = 6",
    DeleteProductRequest: "string id = 1; optional string reason = 2",
    ArchiveProductRequest: "string id = 1",
    RestoreProductRequest: "string id = 1",
    SetStockRequest: "string product_id = 1; int32 quantity = 2",
    OrderItemInput: "string product_id = 1; int32 quantity = 2; optional string discount_rate = 3",
    Address: "string street = 1; string city = 2; string postal_code = 3",
    CreateOrderRequest:
      "optional string id = 1; string customer_id = 2; repeated OrderItemInput items = 3; Address shipping_address = 4",
    CancelOrderRequest: "string id = 1; string reason = 2",
    UpdateOrderStatusRequest: "string id = 1; string status = 2",
    StartOrderSagaRequest: "string order_id = 1",
    ListEventsRequest:
      "optional string aggregate_id = 1; optional string event_type = 2; optional string after = 3; optional int32 limit = 4",
    StoredEvent:
      "string position = 1; string transaction_id = 2; string event_id = 3; string aggregate_id = 4; string aggregate_type = 5; string event_type = 6; int32 version = 7; int32 schema_version = 8; string data = 9; string metadata = 10; string created_at = 11",
    ListEventsResponse: "repeated StoredEvent events = 1; optional string next_after = 2",
    AggregateHistoryRequest:
      "string aggregate_id = 1; optional int32 as_of_version = 2; optional string as_of = 3",
    HistoryEntry: "StoredEvent event = 1; string state = 2",
    AggregateHistoryResponse:
      "string aggregate_type = 1; repeated HistoryEntry entries = 2; int32 version = 3; string state = 4; bool truncated = 5",
  },
  "query/v1/query.proto": {
    Empty: "",
    IdRequest: "string id = 1",
    OrderIdRequest: "string order_id = 1",
    CategoryIdRequest: "string category_id = 1",
    IdsRequest: "repeated string ids = 1",
    NameRequest: "string name = 1",
    ExistsResponse: "bool exists = 1",
    PageRequest: "optional int32 page = 1; optional int32 per_page = 2",
    PageInfo: "int32 page = 1; int32 per_page = 2; int32 total_count = 3; bool has_next = 4",
    SearchRequest: "string search_term = 1; optional int32 page = 2; optional int32 per_page = 3",
    ListCategoriesRequest:
      "optional string parent_id = 1; optional int32 page = 2; optional int32 per_page = 3",
    PathSegment: "string id = 1; string name = 2",
    Category:
      "string id = 1; string name = 2; optional string description = 3; optional string parent_id = 4; repeated PathSegment path = 5; int32 depth = 6; int32 version = 7; string created_at = 8; string updated_at = 9; int32 child_count = 10; int32 product_count = 11",
    CategoryResponse: "optional Category category = 1",
    CategoryList: "repeated Category categories = 1",
    CategoryPage: "repeated Category categories = 1; PageInfo page_info = 2",
    CategoryNode: "Category category = 1; repeated CategoryNode children = 2",
    CategoryTree: "repeated CategoryNode roots = 1",
    CategoryPath: "repeated PathSegment path = 1",
    CategoryStatistics:
      "int32 total_categories = 1; int32 root_categories = 2; int32 max_depth = 3; int32 categories_with_products = 4; int32 empty_categories = 5",
    Product:
      "string id = 1; string name = 2; optional string description = 3; string price = 4; string category_id = 5; optional string category_name = 6; int32 stock = 7; int32 version = 8; string created_at = 9; string updated_at = 10; bool archived = 11",
    ProductResponse: "optional Product product = 1",
    ProductList: "repeated Product products = 1",
    ProductPage: "repeated Product products = 1; PageInfo page_info = 2",
    ProductWithCategory: "optional Product product = 1; optional Category category = 2",
    CategoryWithProducts: "optional Category category = 1; repeated Product products = 2",
    ProductsByCategoryRequest:
      "string category_id = 1; optional int32 page = 2; optional int32 per_page = 3",
    PriceRangeRequest:
      "optional string min_price = 1; optional string max_price = 2; optional int32 page = 3; optional int32 per_page = 4",
    SortedByPriceRequest:
      "optional string direction = 1; optional int32 page = 2; optional int32 per_page = 3",
    AdvancedSearchRequest:
      "optional string text = 1; optional string category_id = 2; optional string min_price = 3; optional string max_price = 4; optional string sort = 5; optional int32 page = 6; optional int32 per_page = 7",
    ProductStatistics:
      "int32 count = 1; optional string average_price = 2; optional string min_price = 3; optional string max_price = 4; int32 total_stock = 5; int32 archived_count = 6",
    CategoryProductStatistics:
      "string category_id = 1; optional string category_name = 2; int32 product_count = 3; optional string average_price = 4; optional string min_price = 5; optional string max_price = 6",
    Address: "string street = 1; string city = 2; string postal_code = 3",
    OrderItem:
      "string product_id = 1; string product_name = 2; int32 quantity = 3; string unit_price = 4; string discount_rate = 5; string line_total = 6",
    Order:
      "string id = 1; string customer_id = 2; string status = 3; repeated OrderItem items = 4; string subtotal = 5; string tax = 6; string shipping = 7; string total = 8; Address shipping_address = 9; optional string cancel_reason = 10; int32 version = 11; string created_at = 12; string updated_at = 13; optional SagaState saga = 14",
    OrderResponse: "optional Order order = 1",
    OrderPage: "repeated Order orders = 1; PageInfo page_info = 2",
    CustomerOrdersRequest:
      "string customer_id = 1; optional int32 page = 2; optional int32 per_page = 3",
    OrdersByStatusRequest:
      "string status = 1; optional int32 page = 2; optional int32 per_page = 3",
    StatusCount: "string status = 1; int32 count = 2",
    OrderStats:
      "int32 total_orders = 1; repeated StatusCount by_status = 2; string total_revenue = 3; optional string average_order_value = 4",
    SagaState:
      "string saga_id = 1; string order_id = 2; string status = 3; repeated string completed_steps = 4; optional string current_step = 5; optional string failure_reason = 6; string started_at = 7; optional string completed_at = 8",
    SagaStateResponse: "optional SagaState saga = 1",
  },
};

function fieldsOf(type: protobuf.Type): string[] {
  return type.fieldsArray.map((f) => {
    const label = f.repeated ? "repeated " : f.options?.proto3_optional ? "optional " : "";
    return `${label}${f.type} ${f.name} = ${f.id}`;
  });
}

Deno.test("every published v1 field keeps its name, number, type and label", () => {
  assert.deepEqual(protoFiles().sort(), Object.keys(published).sort());
  for (const [path, messages] of Object.entries(published)) {
    const { root, package: pkg } = protobuf.parse(protoText(path), { keepCase: true });
    for (const [name, fields] of Object.entries(messages)) {
      const type = root.lookup(`${pkg}.${name}`);
      assert.ok(type instanceof protobuf.Type, `${path}: message ${name} is generated`);
      const generated = new Set(fieldsOf(type));
      for (const field of fields ? fields.split("; ") : []) {
        assert.ok(generated.has(field), `${path}: ${name} has "${field}"`);
      }
    }
  }
});

Deno.test("a message of the protos holds fields numbered 1 to n without gaps", () => {
  for (const path of protoFiles()) {
    const { root } = protobuf.parse(protoText(path), { keepCase: true });
    const walk = (ns: protobuf.NamespaceBase) => {
      for (const nested of ns.nestedArray) {
        if (nested instanceof protobuf.Type) {
          const ids = nested.fieldsArray.map((f) => f.id);
          assert.deepEqual(ids, ids.map((_, i) => i + 1), `${path}: ${nested.name}`);
        } else if (nested instanceof protobuf.Namespace) walk(nested);
      }
    };
    walk(root);
  }
});
