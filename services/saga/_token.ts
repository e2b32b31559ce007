import { DEVELOPMENT_SECRET, SAGA_PRINCIPAL, signServiceToken } from "@shared/auth/mod.ts";

/** How the saga signs its service tokens: the services' own HS256 settings. */
export interface SagaSigning {
  /** The HS256 secret the command service verifies with; default the development secret. */
  secret?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Seconds each token lives; default 300. */
  ttlSeconds?: number | undefined;
}

/** A token is signed again once less than this share of its life is left. */
const RENEW_SHARE = 0.5;
/** Tenants whose token is kept; the oldest goes first. */
const MAX_CACHED = 1000;

/**
 * The saga's `authorization` values: short-lived service tokens for its
 * own identity, signed once per tenant and signed again well before they
 * expire. Signing never reaches the network.
 */
export class SagaTokens {
  readonly #signing: SagaSigning;
  readonly #ttl: number;
  readonly #cache = new Map<string, { value: Promise<string>; renewAt: number }>();

  constructor(signing: SagaSigning = {}) {
    this.#signing = signing;
    this.#ttl = signing.ttlSeconds ?? 300;
  }

  /** `Bearer <token>` for the saga acting on an order of `tenant` (none: no tenant). */
  authorization(tenant?: string): Promise<string> {
    const key = tenant ?? "";
    const now = Date.now();
    const cached = this.#cache.get(key);
    if (cached && cached.renewAt > now) return cached.value;
    const value = this.#sign(tenant);
    this.#cache.delete(key);
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, { value, renewAt: now + this.#ttl * 1000 * RENEW_SHARE });
    // A failed signing is not kept: the next call tries again.
    value.catch(() => this.#cache.get(key)?.value === value && this.#cache.delete(key));
    return value;
  }

  async #sign(tenant: string | undefined): Promise<string> {
    const { secret, issuer, audience } = this.#signing;
    const token = await signServiceToken({
      subject: SAGA_PRINCIPAL.subject,
      roles: [...SAGA_PRINCIPAL.roles],
      ...(tenant ? { tenant } : {}),
      service: true,
    }, {
      secret: secret ?? DEVELOPMENT_SECRET,
      ttlSeconds: this.#ttl,
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
    });
    return `Bearer ${token}`;
  }
}
