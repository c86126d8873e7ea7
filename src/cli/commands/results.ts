import { once } from 'node:events';
import { type FileHandle, open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { exportResults, type ExportFormat, type ExportOrder } from '../../batches/export/export-results.ts';
import type { Runtime } from '../../runtime.ts';
import { CannotWriteError } from '../file-errors.ts';

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

/**
 * A results destination: lines go in with backpressure, and any stream error ends the export
 * at the next line (EPIPE quietly, anything else as CannotWriteError naming the path) instead
 * of leaving it waiting for a `drain` or `finish` that never comes.
 */
class ResultSink {
  private failure: NodeJS.ErrnoException | undefined;
  private readonly failed: Promise<void>;

  constructor(
    readonly stream: Writable,
    readonly name: string,
  ) {
    this.failed = new Promise<void>((_, reject) => {
      stream.on('error', (error: NodeJS.ErrnoException) => {
        this.failure ??= error;
        reject(this.problem());
      });
    });
    this.failed.catch(() => {});
  }

  private problem(): Error {
    if (this.failure?.code === 'EPIPE') return new ReaderGone();
    return new CannotWriteError(this.name, this.failure);
  }

  readonly write = async (line: string): Promise<void> => {
    if (this.failure) throw this.problem();
    let flowing: boolean;
    try {
      flowing = this.stream.write(`${line}\n`);
    } catch (error) {
      // stdout on a file writes synchronously and throws (ENOSPC on /dev/full).
      this.failure ??= error as NodeJS.ErrnoException;
      throw this.problem();
    }
    if (!flowing) {
      const drained = once(this.stream, 'drain').then(
        () => undefined,
        (error: NodeJS.ErrnoException) => {
          this.failure ??= error;
          throw this.problem();
        },
      );
      await Promise.race([drained, this.failed]);
    }
  };

  /** Flushes and closes a file (stdout stays open); throws what went wrong on the way. */
  async close(): Promise<void> {
    if (this.failure) throw this.problem();
    if (this.stream === process.stdout) return;
    this.stream.end();
    await Promise.race([finished(this.stream), this.failed]).catch((error: NodeJS.ErrnoException) => {
      this.failure ??= error;
      throw this.problem();
    });
  }

  /** Gives up on a file after an error elsewhere, without waiting for it. */
  destroy(): void {
    if (this.stream !== process.stdout) this.stream.destroy();
  }
}

/** Opens FILE for writing (failing at once, with its path, when it cannot be), as a sink. */
async function fileSink(path: string): Promise<ResultSink> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'w');
  } catch (error) {
    throw new CannotWriteError(path, error);
  }
  return new ResultSink(handle.createWriteStream(), path);
}

/**
 * Streams a batch's results as JSONL to a file or stdout, in the chosen format; returns the
 * number of lines written (output and error lines).
 */
export async function writeResults(
  runtime: Runtime,
  batchId: string,
  options: ResultsCommandOptions | string = {},
): Promise<{ output: number; errors: number }> {
  const opts: ResultsCommandOptions = typeof options === 'string' ? { out: options } : options;
  const format = opts.format ?? 'native';
  const out = opts.out ? await fileSink(opts.out) : new ResultSink(process.stdout, 'stdout');
  const errorsPath = opts.errorsOut ?? (format === 'openai' && opts.out ? errorFileFor(opts.out) : undefined);
  let errors = out;
  try {
    if (errorsPath) errors = await fileSink(errorsPath);
  } catch (error) {
    out.destroy();
    throw error;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (opts.follow) process.once('SIGINT', stop);
  let count = { output: 0, errors: 0 };
  try {
    count = await exportResults(
      runtime.redis,
      runtime.keys,
      batchId,
      { output: out.write, errors: errors.write },
      { format, order: opts.order, follow: opts.follow, signal: controller.signal },
    );
    if (errors !== out) await errors.close();
    await out.close();
    return count;
  } catch (error) {
    errors.destroy();
    out.destroy();
    if (error instanceof ReaderGone || (error as NodeJS.ErrnoException).code === 'EPIPE') return count;
    throw error;
  } finally {
    process.off('SIGINT', stop);
  }
}
