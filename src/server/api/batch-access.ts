/** The batches a key may touch: its tenant's (every tenant's for an admin key); the rest are 404s. */
import { getBatch, type BatchInfo } from '../../batches/batch-store.ts';
import type { OperationDeps } from '../../operations/deps.ts';
import { canSee } from '../../tenants/visibility.ts';
import type { Principal } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { isBatchId } from './schemas.ts';

export function operationDeps(ctx: ServerContext): OperationDeps {
  return { config: ctx.config, redis: ctx.redis, keys: ctx.keys, queue: ctx.promptQueue };
}

/** The batch, when it exists and the principal may see it; else a 404 that says no more than "no such batch". */
export async function visibleBatch(ctx: ServerContext, principal: Principal, id: string): Promise<BatchInfo> {
  const batch = isBatchId(id) ? await getBatch(ctx.redis, ctx.keys, id) : null;
  if (batch === null || !canSee(principal, batch.tenant)) throw new ApiError('not_found', `no batch ${id}`);
  return batch;
}

/** Account and config operations are for admin keys. */
export function requireAdmin(principal: Principal): void {
  if (!principal.admin) throw new ApiError('permission_error', 'this needs an admin key (relayq keys create --admin)');
}

export { configSubmitOptions } from '../../ingest/config-options.ts';
