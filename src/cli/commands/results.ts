import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { readResultLines } from '../../batches/results.ts';
import type { Runtime } from '../../runtime.ts';

/** Streams a batch's results as JSONL to a file or stdout; returns the number of lines written. */
export async function writeResults(runtime: Runtime, batchId: string, outFile?: string): Promise<number> {
  const out: Writable = outFile ? createWriteStream(outFile) : process.stdout;
  let count = 0;
  for await (const line of readResultLines(runtime.redis, runtime.keys, batchId)) {
    count += 1;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  if (outFile) {
    out.end();
    await once(out, 'finish');
  }
  return count;
}
