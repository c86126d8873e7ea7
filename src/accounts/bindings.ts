/**
 * Dedicated accounts: a batch, or a tenant (a batch submitted with `--tag tenant=NAME`), can be bound to
 * accounts by id and/or to account groups (`accounts[].group`). Bound accounts are tried first;
 * with `exclusive` they are the only ones the batch may use, otherwise the pool of accounts
 * serving the provider and model follows. Bindings live in one Redis hash so every worker sees
 * them; workers read it about once every two seconds, not per prompt.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';

export const bindingSchema = z
  .object({
    accounts: z.array(z.string().min(1)).default([]),
    groups: z.array(z.string().min(1)).default([]),
    exclusive: z.boolean().default(false),
  })
  .strict()
  .refine((binding) => binding.accounts.length + binding.groups.length > 0, {
    message: 'a binding names at least one account or group',
  });
export type Binding = z.infer<typeof bindingSchema>;

export type BindingTarget = { batch: string } | { tenant: string };

export function bindingField(target: BindingTarget): string {
  return 'batch' in target ? `batch:${target.batch}` : `tenant:${target.tenant}`;
}

export async function setBinding(redis: Redis, keys: Keys, target: BindingTarget, binding: Binding): Promise<void> {
  await redis.hset(keys.accountBindings(), bindingField(target), JSON.stringify(bindingSchema.parse(binding)));
}

/** Removes a binding; returns whether there was one. */
export async function removeBinding(redis: Redis, keys: Keys, target: BindingTarget): Promise<boolean> {
  return (await redis.hdel(keys.accountBindings(), bindingField(target))) === 1;
}

/** Every binding, `batch:<id>` / `tenant:<name>` -> binding. Unreadable entries are skipped. */
export async function readBindings(redis: Redis, keys: Keys): Promise<Map<string, Binding>> {
  const entries = await redis.hgetall(keys.accountBindings());
  const bindings = new Map<string, Binding>();
  for (const [field, json] of Object.entries(entries)) {
    try {
      const parsed = bindingSchema.safeParse(JSON.parse(json));
      if (parsed.success) bindings.set(field, parsed.data);
    } catch {
      // A hand-edited entry that is not JSON binds nothing.
    }
  }
  return bindings;
}

/**
 * The binding of each batch, from a copy of the bindings hash refreshed every `ttlMs`. A
 * tenant binding needs the batch's tenant, read once per batch and kept: it does not change.
 */
export class BindingCache {
  private bindings = new Map<string, Binding>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  private readonly tenants = new Map<string, Promise<string | null>>();
  private hasTenantBindings = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ttlMs = 2_000,
  ) {}

  /**
   * The batch's binding when it is known without waiting (the copy is fresh and no tenant
   * lookup is needed); undefined otherwise (use forBatch).
   */
  peek(batchId: string): Binding | null | undefined {
    if (Date.now() - this.loadedAt > this.ttlMs) return undefined;
    const direct = this.bindings.get(`batch:${batchId}`);
    if (direct !== undefined) return direct;
    return this.hasTenantBindings ? undefined : null;
  }

  async forBatch(batchId: string): Promise<Binding | null> {
    if (Date.now() - this.loadedAt > this.ttlMs) await this.refresh();
    const direct = this.bindings.get(`batch:${batchId}`);
    if (direct !== undefined) return direct;
    if (!this.hasTenantBindings) return null;
    const tenant = await this.tenantOf(batchId);
    return tenant === null ? null : (this.bindings.get(`tenant:${tenant}`) ?? null);
  }

  refresh(): Promise<void> {
    this.loading ??= readBindings(this.redis, this.keys)
      .then((bindings) => {
        this.bindings = bindings;
        this.hasTenantBindings = [...bindings.keys()].some((field) => field.startsWith('tenant:'));
        this.loadedAt = Date.now();
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  private tenantOf(batchId: string): Promise<string | null> {
    let tenant = this.tenants.get(batchId);
    if (tenant === undefined) {
      if (this.tenants.size > 10_000) this.tenants.clear();
      tenant = this.redis
        .hmget(this.keys.batch(batchId), 'tenant', 'metadata')
        .then(([field, metadata]) => field ?? tenantTag(metadata ?? null));
      tenant.catch(() => this.tenants.delete(batchId));
      this.tenants.set(batchId, tenant);
    }
    return tenant;
  }
}

/** The `tenant` tag of a batch's metadata JSON (`relayq submit --tag tenant=acme`). */
function tenantTag(metadata: string | null): string | null {
  if (metadata === null) return null;
  try {
    const parsed = z.record(z.string(), z.unknown()).safeParse(JSON.parse(metadata));
    const tenant = parsed.success ? parsed.data.tenant : undefined;
    return typeof tenant === 'string' && tenant !== '' ? tenant : null;
  } catch {
    return null;
  }
}
