/** What every command shares: opening the runtime, checking a batch id, usage errors. */
import { batchIdPattern } from '../batches/batch-store.ts';
import type { Runtime, RuntimeOptions } from '../runtime.ts';
import { exitCodes } from './exit-codes.ts';

export const configHelp = 'config file (default: $RELAYQ_CONFIG, else config/relayq.yaml, else built-in defaults)';

/** A mistake on the command line: printed as is, exit status 2. */
export class UsageError extends Error {}

/**
 * Opens config + Redis for a command, runs it, closes everything, and returns its exit status.
 * The runtime (ioredis, BullMQ) is imported here, so commands that never open it never load it.
 */
export async function withRuntime(options: RuntimeOptions, body: (runtime: Runtime) => Promise<number | void>): Promise<number> {
  const { openRuntime } = await import('../runtime.ts');
  const runtime = await openRuntime(options);
  try {
    return (await body(runtime)) ?? exitCodes.ok;
  } finally {
    await runtime.close();
  }
}

export function checkBatchId(id: string): string {
  if (!batchIdPattern.test(id)) throw new UsageError(`"${id}" is not a batch id (they look like batch_mh2k1...)`);
  return id;
}

/** Parses a positive whole number option. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0) throw new UsageError(`${name} wants a positive whole number, not "${value}"`);
    return number;
  };
}
