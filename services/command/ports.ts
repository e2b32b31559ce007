/**
 * The outside systems the saga's steps call: a payment gateway and a
 * carrier. Each call carries an idempotency key (the command id), so a step
 * retried after a crash charges or books once. The defaults always succeed;
 * simulated, configurable adapters come with the saga.
 */
import type { Address } from "@shared/domain/shared/address.ts";
import type { PaymentOutcome } from "@shared/domain/payment/mod.ts";
import type { ShippingOutcome } from "@shared/domain/shipment/mod.ts";

/** A charge of an order's total. */
export interface ChargeRequest {
  paymentId: string;
  orderId: string;
  /** Decimal string, e.g. "55.00". */
  amount: string;
  idempotencyKey: string;
}

/** A refund of what a charge took. */
export interface RefundRequest {
  paymentId: string;
  orderId: string;
  amount: string;
  transactionRef: string | null;
  idempotencyKey: string;
}

/** The payment gateway port. A declined charge is an outcome; an unreachable gateway throws. */
export interface PaymentGateway {
  charge(request: ChargeRequest): Promise<PaymentOutcome>;
  refund(request: RefundRequest): Promise<void>;
}

/** A booking of an order's delivery. */
export interface BookingRequest {
  shipmentId: string;
  orderId: string;
  address: Address;
  idempotencyKey: string;
}

/** A cancellation of a booked delivery. */
export interface CancelBookingRequest {
  shipmentId: string;
  orderId: string;
  trackingNumber: string | null;
  idempotencyKey: string;
}

/** The carrier port. A refused booking is an outcome; an unreachable carrier throws. */
export interface Carrier {
  book(request: BookingRequest): Promise<ShippingOutcome>;
  cancel(request: CancelBookingRequest): Promise<void>;
}

/** A gateway that approves every charge, with a reference derived from the idempotency key. */
export const approvingGateway: PaymentGateway = {
  charge: (request) =>
    Promise.resolve({ status: "approved", transactionRef: `sim-${request.idempotencyKey}` }),
  refund: () => Promise.resolve(),
};

/** A carrier that books every delivery, with a tracking number derived from the idempotency key. */
export const bookingCarrier: Carrier = {
  book: (request) =>
    Promise.resolve({
      status: "arranged",
      carrier: "SimCarrier",
      trackingNumber: `SIM-${request.idempotencyKey.slice(0, 8).toUpperCase()}`,
    }),
  cancel: () => Promise.resolve(),
};
