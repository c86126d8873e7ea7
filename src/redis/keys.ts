/**
 * Every Redis key relayq writes is named here and nowhere else. All keys share one hash tag
 * (`{prefix}`) so Lua scripts that touch several of them run on Redis Cluster too.
 */
export interface Keys {
  /** The BullMQ prefix: BullMQ builds its own `{prefix}:<queue>:...` keys from it. */
  readonly bullPrefix: string;
  /** Sorted set of batch ids, scored by creation time (ms). */
  batches(): string;
  /** Hash: the batch record and its counters. */
  batch(batchId: string): string;
  /** Hash: custom_id → input line number, for every accepted line of the batch. */
  batchLines(batchId: string): string;
  /** Hash: custom_id → result JSON. */
  batchResults(batchId: string): string;
  /** List: JSON of each rejected input line ({line, custom_id, error}). */
  batchRejects(batchId: string): string;
}

export function createKeys(prefix: string): Keys {
  const tag = `{${prefix}}`;
  return {
    bullPrefix: tag,
    batches: () => `${tag}:batches`,
    batch: (id) => `${tag}:batch:${id}`,
    batchLines: (id) => `${tag}:batch:${id}:lines`,
    batchResults: (id) => `${tag}:batch:${id}:results`,
    batchRejects: (id) => `${tag}:batch:${id}:rejects`,
  };
}
