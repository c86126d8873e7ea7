/**
 * A batch's results as a stream of JSONL lines in one export format, read from Redis as the client
 * takes them (backpressure: no more is read than the socket drains), for the faces' result routes.
 */
import { PassThrough } from 'node:stream';
import { exportResults, type ExportFormat } from '../batches/export/export-results.ts';
import type { ServerContext } from './context.ts';

/** `output` / `errors`: only the lines OpenAI's format puts in its output or its error file. */
export function resultStream(
  ctx: ServerContext,
  batchId: string,
  format: ExportFormat,
  part: 'all' | 'output' | 'errors' = 'all',
): PassThrough {
  const stream = new PassThrough();
  const write = async (line: string) => {
    if (stream.destroyed) throw new Error('the client went away');
    if (!stream.write(`${line}\n`))
      await new Promise<void>((resolve) => {
        stream.once('drain', resolve);
        stream.once('close', resolve);
      });
  };
  const skip = () => {};
  const sink = { output: part === 'errors' ? skip : write, errors: part === 'output' ? skip : write };
  exportResults(ctx.redis, ctx.keys, batchId, sink, { format, order: 'input' }).then(
    () => stream.end(),
    (error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return stream;
}
