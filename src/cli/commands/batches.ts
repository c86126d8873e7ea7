import { escapeForTerminal } from '../../lib/terminal-text.ts';
import { listBatches } from '../../batches/batch-list.ts';
import type { BatchInfo } from '../../batches/batch-store.ts';
import { maintainBatches } from '../../batches/lifecycle.ts';
import type { Runtime } from '../../runtime.ts';
import { formatNumber } from '../progress.ts';
import { colourOn, paint, renderTable, statusColour } from '../style.ts';

export interface BatchesCommandOptions {
  limit: number;
  status?: string;
  json: boolean;
}

/** `relayq batches`: the newest batches as a table (or JSON lines of batch records). */
export async function batchesCommand(runtime: Runtime, options: BatchesCommandOptions): Promise<void> {
  await maintainBatches({ redis: runtime.redis, keys: runtime.keys, queue: runtime.queue });
  let batches = await listBatches(runtime.redis, runtime.keys, { limit: options.status ? Math.max(options.limit, 1000) : options.limit });
  if (options.status) batches = batches.filter((batch) => batch.status === options.status).slice(0, options.limit);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(batches, null, 2)}\n`);
    return;
  }
  if (batches.length === 0) {
    process.stdout.write('no batches yet (relayq submit FILE starts one)\n');
    return;
  }
  const colour = colourOn();
  const rows = batches.map((batch) => row(batch));
  const table = renderTable(
    ['BATCH', 'STATUS', 'DONE', 'TOTAL', 'OK', 'ERRORED', 'REJECTED', 'CREATED', 'SOURCE'],
    rows,
    (index, column, text) => (column === 1 ? paint(text, statusColour(batches[index]?.status ?? ''), colour) : text),
  );
  process.stdout.write(`${table}\n`);
}

function row(batch: BatchInfo): string[] {
  const { counts } = batch;
  const done = counts.total - counts.pending;
  const percent = counts.total === 0 ? '-' : `${Math.floor((done * 100) / counts.total)}%`;
  return [
    batch.id,
    batch.status,
    percent,
    formatNumber(counts.total),
    formatNumber(counts.succeeded),
    formatNumber(counts.errored),
    formatNumber(counts.rejected),
    batch.created_at.slice(0, 19).replace('T', ' '),
    escapeForTerminal(batch.source),
  ];
}
