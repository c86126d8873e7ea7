import { getBatch, getRejects, type BatchInfo } from '../../batches/batch-store.ts';
import type { Runtime } from '../../runtime.ts';
import { bar, formatNumber } from '../progress.ts';

export async function statusCommand(runtime: Runtime, batchId: string, json: boolean): Promise<BatchInfo | null> {
  const batch = await getBatch(runtime.redis, runtime.keys, batchId);
  if (!batch) return null;
  const rejects = batch.counts.rejected > 0 ? await getRejects(runtime.redis, runtime.keys, batchId) : [];
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...batch, rejected_lines: rejects.slice(0, 1000) }, null, 2)}\n`);
    return batch;
  }
  const { counts, usage } = batch;
  const done = counts.succeeded + counts.errored;
  const lines = [
    `batch      ${batch.id} (${batch.source})`,
    `status     ${batch.status}${batch.ingest === 'running' ? ' (still reading input)' : ''}`,
    `progress   ${bar(counts.total === 0 ? 1 : done / counts.total)} ${formatNumber(done)}/${formatNumber(counts.total)}`,
    `prompts    ${formatNumber(counts.succeeded)} succeeded, ${formatNumber(counts.errored)} errored, ${formatNumber(counts.pending)} pending`,
    `rejected   ${formatNumber(counts.rejected)} input lines`,
    `tokens     ${formatNumber(usage.input_tokens)} in, ${formatNumber(usage.output_tokens)} out (cache: ${formatNumber(usage.cache_read_tokens)} read, ${formatNumber(usage.cache_write_tokens)} written)`,
    `created    ${batch.created_at}`,
    `completed  ${batch.completed_at ?? '-'}`,
  ];
  for (const reject of rejects.slice(0, 20)) lines.push(`  line ${reject.line}: ${reject.error.split('\n')[0]}`);
  if (rejects.length > 20) lines.push(`  ... ${rejects.length - 20} more (relayq status ${batch.id} --json)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return batch;
}
