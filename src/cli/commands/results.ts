import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { exportResults, type ExportFormat, type ExportOrder } from '../../batches/export/export-results.ts';
import type { Runtime } from '../../runtime.ts';

export interface ResultsCommandOptions {
  out?: string;
  /** OpenAI format: where the error file goes (default: next to --out, `X.errors.jsonl`; stdout without --out). */
  errorsOut?: string;
  format?: ExportFormat;
  order?: ExportOrder;
  follow?: boolean;
}

/** The error file's name for an output file: results.jsonl → results.errors.jsonl. */
export function errorFileFor(out: string): string {
  return out.endsWith('.jsonl') ? `${out.slice(0, -'.jsonl'.length)}.errors.jsonl` : `${out}.errors`;
}

/** A reader that went away (`relayq results B | head`) ends the export quietly. */
class ReaderGone extends Error {}

function lineWriter(stream: Writable): (line: string) => Promise<void> {
  let gone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') gone = true;
  });
  return async (line) => {
    if (gone) throw new ReaderGone();
    if (!stream.write(`${line}\n`)) await once(stream, 'drain');
  };
}

async function close(stream: Writable): Promise<void> {
  if (stream === process.stdout) return;
  stream.end();
  await once(stream, 'finish');
}

/**
 * Streams a batch's results as JSONL to a file or stdout, in the chosen format; returns the
 * number of lines written (output and error lines).
 */
export async function writeResults(runtime: Runtime, batchId: string, options: ResultsCommandOptions | string = {}): Promise<{ output: number; errors: number }> {
  const opts: ResultsCommandOptions = typeof options === 'string' ? { out: options } : options;
  const format = opts.format ?? 'native';
  const out: Writable = opts.out ? createWriteStream(opts.out) : process.stdout;
  const errorsPath = opts.errorsOut ?? (format === 'openai' && opts.out ? errorFileFor(opts.out) : undefined);
  const errors: Writable = errorsPath ? createWriteStream(errorsPath) : out;
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (opts.follow) process.once('SIGINT', stop);
  try {
    try {
      return await exportResults(
      runtime.redis,
      runtime.keys,
      batchId,
      { output: lineWriter(out), errors: lineWriter(errors) },
        { format, order: opts.order, follow: opts.follow, signal: controller.signal },
      );
    } catch (error) {
      if (error instanceof ReaderGone || (error as NodeJS.ErrnoException).code === 'EPIPE') return { output: 0, errors: 0 };
      throw error;
    }
  } finally {
    process.off('SIGINT', stop);
    if (errors !== out) await close(errors);
    await close(out);
  }
}
