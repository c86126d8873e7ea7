/**
 * A batch's results as a stream of JSONL lines in one export format, read from Redis as the client
 * takes them (backpressure: no more is read than the socket drains), for every face's result
 * route: `/api`'s results, OpenAI's output and error files, Anthropic's results_url.
 */
import { PassThrough } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.ts';
import type { Keys } from '../../redis/keys.ts';
import { exportResults, type ExportFormat, type ExportOrder } from './export-results.ts';

export interface ResultStreamOptions {
  format: ExportFormat;
  /** Default: input order. */
  order?: ExportOrder;
  /** `output` / `errors`: only the lines OpenAI's format puts in its output or its error file. */
  part?: 'all' | 'output' | 'errors';
}

export function resultStream(
  ctx: { redis: Redis; keys: Keys; logger: Logger },
  batchId: string,
  options: ResultStreamOptions,
): PassThrough {
  const stream = new PassThrough();
  const write = async (line: string) => {
    if (stream.destroyed) throw new Error('the client went away');
    if (!stream.write(`${line}\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          stream.off('drain', done);
          stream.off('close', done);
          resolve();
        };
        stream.once('drain', done);
        stream.once('close', done);
      });
    }
  };
  const skip = () => {};
  const part = options.part ?? 'all';
  const sink = { output: part === 'errors' ? skip : write, errors: part === 'output' ? skip : write };
  exportResults(ctx.redis, ctx.keys, batchId, sink, { format: options.format, order: options.order ?? 'input' }).then(
    () => stream.end(),
    (error: unknown) => {
      if (!stream.destroyed) ctx.logger.error({ err: error, batchId }, 'results export failed midway');
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
    },
  );
  return stream;
}
