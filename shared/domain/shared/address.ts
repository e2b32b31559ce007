import { checkName } from "./rules.ts";

/** A postal address. */
export type Address = {
  street: string;
  city: string;
  postalCode: string;
};

/** The longest part of an address, per field. */
export const ADDRESS_LIMITS = { street: 200, city: 100, postalCode: 20 } as const;

/** A trimmed address, or a ValidationError naming the empty or too long part. */
export function checkAddress(address: Address, field = "address"): Address {
  return {
    street: checkName(address.street, { field: `${field}.street`, max: ADDRESS_LIMITS.street }),
    city: checkName(address.city, { field: `${field}.city`, max: ADDRESS_LIMITS.city }),
    postalCode: checkName(address.postalCode, {
      field: `${field}.postalCode`,
      max: ADDRESS_LIMITS.postalCode,
    }),
  };
}
