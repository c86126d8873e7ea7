/**
 * The lifecycle of a batch:
 *
 *   validating → in_progress ⇄ paused → finalizing → completed
 *   validating → failed                          (no input line was valid)
 *   validating | in_progress | paused → cancelling → cancelled
 *   validating | in_progress | paused → expiring → expired   (the completion window ran out)
 *
 * `cancelling` and `expiring` last while prompts already sent finish; the prompts still queued
 * get `cancelled` / `expired` results at once.
 */
export const batchStatuses = [
  'validating',
  'in_progress',
  'paused',
  'finalizing',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
  'expiring',
  'expired',
] as const;
export type BatchStatus = (typeof batchStatuses)[number];

const terminal: ReadonlySet<BatchStatus> = new Set(['completed', 'failed', 'cancelled', 'expired']);

/** No prompt of the batch will run again (unless `relayq retry` reopens it). */
export function isTerminal(status: BatchStatus): boolean {
  return terminal.has(status);
}

/** Statuses in which prompts may still be dispatched. */
export const runnableStatuses: readonly BatchStatus[] = ['validating', 'in_progress', 'finalizing'];

/** Statuses from which a batch can be cancelled, paused or expired. */
export const activeStatuses: readonly BatchStatus[] = ['validating', 'in_progress', 'paused'];
