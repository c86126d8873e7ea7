/**
 * Hostile and careless input files through the real submit into Redis: every line ends accepted
 * or rejected with its line number, the valid lines run, and nothing a line holds grows the
 * batch's reports without bound.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promptJobId } from '../../jobs/prompt/queue.ts';
import { getBatch, getRejects, type RejectedLine } from '../../src/batches/batch-store.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys, type Keys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

function line(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    custom_id: id,
    params: { model: 'claude-test', max_tokens: 50, messages: [{ role: 'user', content: `prompt ${id}` }], ...extra },
  });
}

/** A valid line whose `metadata` nests `depth` arrays. */
function nestedLine(id: string, depth: number): string {
  return `{"custom_id":"${id}","params":{"model":"claude-test","max_tokens":50,"messages":[{"role":"user","content":"x"}],"metadata":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
}

describe('submitFile with hostile lines', () => {
  let redis: Redis;
  let queue: PromptQueues;
  let keys: Keys;
  let prefix: string;
  let dir: string;

  const writeFile = (content: string | Buffer): string => {
    const file = join(dir, 'prompts.jsonl');
    writeFileSync(file, content);
    return file;
  };

  beforeEach(() => {
    prefix = testPrefix('hostile');
    keys = createKeys(prefix);
    redis = testRedis();
    queue = new PromptQueues(keys, testRedis());
    dir = mkdtempSync(join(tmpdir(), 'relayq-hostile-'));
  });

  afterEach(async () => {
    await queue.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects deeply nested lines with their numbers and runs the valid ones', async () => {
    const lines = [line('a'), nestedLine('deep5k', 5_000), line('b'), nestedLine('deep100k', 100_000), line('c'), nestedLine('ok', 100)];
    const seen: RejectedLine[] = [];
    const report = await submitFile(redis, queue, keys, writeFile(`${lines.join('\n')}\n`), {
      attempts: 1,
      chunkSize: 2,
      onReject: (r) => seen.push(r),
    });
    expect(report).toMatchObject({ linesRead: 6, accepted: 4, rejected: 2 });
    expect(seen.map((r) => r.line)).toEqual([2, 4]);
    expect(seen[0]?.error).toMatch(/nested deeper than 128 levels/);
    expect(await queue.getWaitingCount()).toBe(4);
    const batch = await getBatch(redis, keys, report.batchId);
    expect(batch).toMatchObject({ status: 'in_progress', ingest: 'done' });
    expect(batch?.counts).toEqual({ total: 4, succeeded: 0, errored: 0, cancelled: 0, expired: 0, pending: 4, rejected: 2 });
  });

  it('takes its limits from the options: a deeper nesting, a longer custom_id', async () => {
    const long = 'x'.repeat(100);
    const file = writeFile(`${nestedLine('deep', 300)}\n${line(long)}\n`);
    const strict = await submitFile(redis, queue, keys, file, { attempts: 1 });
    expect(strict).toMatchObject({ accepted: 0, rejected: 2 });
    const loose = await submitFile(redis, queue, keys, file, { attempts: 1, limits: { maxDepth: 400, maxCustomIdLength: 100 } });
    expect(loose).toMatchObject({ accepted: 2, rejected: 0 });
    expect((await queue.getJob(promptJobId(loose.batchId, long)))?.data.line).toBe(2);
  });

  it('limits custom_ids to 64 characters and bounds the report of a huge one', async () => {
    const huge = 'h'.repeat(1024 * 1024);
    const forged = 'evil\nline 99: forged\u001b[2J';
    const file = writeFile(`${line(huge)}\n${line(forged)}\n${line('x'.repeat(65))}\n${line('y'.repeat(64))}\n`);
    const seen: RejectedLine[] = [];
    const report = await submitFile(redis, queue, keys, file, { attempts: 1, onReject: (r) => seen.push(r) });
    expect(report).toMatchObject({ accepted: 2, rejected: 2 });
    expect(seen.map((r) => r.line)).toEqual([1, 3]);
    expect(seen[0]?.error).toBe(`custom_id is ${huge.length} characters; at most 64 are allowed (ingest.maxCustomIdLength in the config)`);
    const stored = await redis.lrange(keys.batchRejects(report.batchId), 0, -1);
    for (const entry of stored) expect(entry.length).toBeLessThan(1_000);
    expect((await getRejects(redis, keys, report.batchId))[0]?.custom_id).toMatch(/^h{128}… \(1048576 characters in all\)$/);
    // The forged id is 31 characters: accepted, and kept as it is.
    expect((await queue.getJob(promptJobId(report.batchId, forged)))?.data.customId).toBe(forged);
  });

  it('reads a file that starts with a UTF-8 byte order mark', async () => {
    const file = writeFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${line('bom1')}\r\n${line('bom2')}\r\n`)]));
    const report = await submitFile(redis, queue, keys, file, { attempts: 1 });
    expect(report).toMatchObject({ accepted: 2, rejected: 0, inputFormat: 'anthropic-batch' });
    expect(await queue.getJob(promptJobId(report.batchId, 'bom1'))).toBeDefined();
  });

  it('rejects lines that are not valid UTF-8 instead of making two custom_ids one', async () => {
    // "id-\xff" and "id-\xfe" would both read as "id-\ufffd".
    const bad = (byte: number) =>
      Buffer.concat([
        Buffer.from('{"custom_id":"id-'),
        Buffer.from([byte]),
        Buffer.from(`","params":{"model":"claude-test","max_tokens":5,"messages":[{"role":"user","content":"x"}]}}\n`),
      ]);
    const file = writeFile(Buffer.concat([Buffer.from(`${line('fine')}\n`), bad(0xff), bad(0xfe), Buffer.from(`${line('caf\u00e9')}\n`)]));
    const seen: RejectedLine[] = [];
    const report = await submitFile(redis, queue, keys, file, { attempts: 1, onReject: (r) => seen.push(r) });
    expect(report).toMatchObject({ linesRead: 4, accepted: 2, rejected: 2 });
    expect(seen).toEqual([
      { line: 2, custom_id: null, error: 'not valid UTF-8 (at byte 18 of the line)' },
      { line: 3, custom_id: null, error: 'not valid UTF-8 (at byte 18 of the line)' },
    ]);
    expect(await queue.getJob(promptJobId(report.batchId, 'caf\u00e9'))).toBeDefined();
  });

  it('rejects a line over the size limit with its number and reads on', async () => {
    const big = line('big', { system: 'z'.repeat(20 * 1024 * 1024) });
    const file = writeFile(`${line('before')}\n${big}\n${line('after')}\n`);
    const seen: RejectedLine[] = [];
    const report = await submitFile(redis, queue, keys, file, { attempts: 1, onReject: (r) => seen.push(r) });
    expect(report).toMatchObject({ linesRead: 3, accepted: 2, rejected: 1 });
    expect(seen[0]).toMatchObject({ line: 2, custom_id: null });
    expect(seen[0]?.error).toMatch(/^line is 20\.0 MB \(\d+ bytes\), over the limit of 10\.0 MB \(10485760 bytes\)/);
    const small = await submitFile(redis, queue, keys, writeFile(`${line('a')}\n${line('b', { system: 'z'.repeat(2000) })}\n`), {
      attempts: 1,
      limits: { maxLineBytes: 1000 },
    });
    expect(small).toMatchObject({ accepted: 1, rejected: 1 });
  });
});
