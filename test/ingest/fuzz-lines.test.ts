/**
 * Fuzzing the ingest: generated files of valid and hostile lines (fuzz-arbitraries.ts) must each
 * end with every line accepted or rejected with its number (or skipped as blank), never a crash;
 * accepted + rejected + blank = the file's line count. Most lines go through the line splitter
 * and the line reader directly (fast); one file of a few thousand lines goes through the real
 * submit into Redis. At least 10,000 generated lines a run; `FUZZ_RUNS=1500` (files of 100 to
 * 140 lines; 90 by default) runs more.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PromptQueues } from '../../src/batches/prompt-queues.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getRejects } from '../../src/batches/batch-store.ts';
import { createLineReader } from '../../src/ingest/formats/line-reader.ts';
import { LineSplitter } from '../../src/ingest/read-lines.ts';
import { boundedReject } from '../../src/ingest/rejected-line.ts';
import { submitFile } from '../../src/ingest/submit.ts';
import { createKeys } from '../../src/redis/keys.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';
import { fileArb, fileBytes, lineArb } from './fuzz-arbitraries.ts';

interface Tally {
  accepted: number;
  rejected: number;
  blank: number;
  /** Lines whose check threw and that the reader turned into a rejection. */
  caught: string[];
}

/** Reads a file's bytes as submit does, handing them to the splitter in chunks of the given sizes. */
function readFile(
  bytes: Buffer,
  chunkSizes: number[],
  options: { maxLineBytes: number; defaults?: boolean },
): { tally: Tally; numbers: number[] } {
  const splitter = new LineSplitter(options.maxLineBytes);
  const reader = createLineReader(options.defaults ? { defaults: { model: 'claude-test', maxTokens: 16, system: 'Be brief.' } } : {});
  const tally: Tally = { accepted: 0, rejected: 0, blank: 0, caught: [] };
  const numbers: number[] = [];
  const handle = (lines: ReturnType<LineSplitter['push']>) => {
    for (const { line, text, error } of lines) {
      numbers.push(line);
      if (error !== undefined) {
        expect(error).toMatch(/\S/);
        tally.rejected += 1;
        continue;
      }
      if (text.trim() === '') {
        tally.blank += 1;
        continue;
      }
      const result = reader.read(text);
      if (result.ok) {
        tally.accepted += 1;
        expect(result.value.customId.length).toBeGreaterThan(0);
        expect(result.value.customId.length).toBeLessThanOrEqual(64);
      } else {
        tally.rejected += 1;
        if (result.error.startsWith('cannot read the line')) tally.caught.push(result.error);
        const entry = boundedReject({ line, custom_id: result.customId, error: result.error });
        expect(JSON.stringify(entry).length).toBeLessThan(3_000);
      }
    }
  };
  let offset = 0;
  let size = 0;
  while (offset < bytes.length) {
    const next = chunkSizes[size++ % chunkSizes.length] ?? 1024;
    handle(splitter.push(bytes.subarray(offset, offset + next)));
    offset += next;
  }
  handle(splitter.end());
  return { tally, numbers };
}

describe('ingest fuzzing', () => {
  it('every generated line is accepted or rejected with its number, through the line reader (10,000+ lines)', () => {
    let lines = 0;
    const caught: string[] = [];
    fc.assert(
      fc.property(
        fileArb,
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (file, chunkSizes, defaults) => {
          const bytes = fileBytes(file);
          const { tally, numbers } = readFile(bytes, chunkSizes, { maxLineBytes: 100_000, defaults });
          expect(numbers).toEqual(file.lines.map((_, index) => index + 1));
          expect(tally.accepted + tally.rejected + tally.blank).toBe(file.lines.length);
          lines += file.lines.length;
          caught.push(...tally.caught);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 90) },
    );
    expect(lines).toBeGreaterThanOrEqual(10_000);
    // Every failure is a check's own rejection: nothing needed the reader's last-resort catch.
    expect(caught).toEqual([]);
  });

  it('every line of a generated file ends accepted or rejected through the real submit into Redis', async () => {
    const prefix = testPrefix('fuzz');
    const keys = createKeys(prefix);
    const redis = testRedis();
    const queue = new PromptQueues(keys, testRedis());
    const dir = mkdtempSync(join(tmpdir(), 'relayq-fuzz-'));
    try {
      const lines = fc.sample(lineArb, { numRuns: 3_000 });
      const file = join(dir, 'fuzz.jsonl');
      const bytes = fileBytes({ lines, bom: true, crlf: false });
      writeFileSync(file, bytes);
      const expected = readFile(bytes, [256 * 1024], { maxLineBytes: 10 * 1024 * 1024 }).tally;
      const report = await submitFile(redis, queue, keys, file, { attempts: 1, chunkSize: 200 });
      expect(report.linesRead).toBe(lines.length);
      // Duplicate custom_ids are rejected too, so submit rejects at least what the reader does.
      expect(report.accepted + report.rejected).toBe(lines.length - expected.blank);
      expect(report.rejected).toBeGreaterThanOrEqual(expected.rejected);
      const rejects = await getRejects(redis, keys, report.batchId);
      expect(rejects).toHaveLength(report.rejected);
      expect(new Set(rejects.map((r) => r.line)).size).toBe(report.rejected);
      for (const reject of rejects) {
        expect(reject.line).toBeGreaterThanOrEqual(1);
        expect(reject.line).toBeLessThanOrEqual(lines.length);
      }
      expect(await queue.getWaitingCount()).toBe(report.accepted);
      expect(await redis.hlen(keys.batchLines(report.batchId))).toBe(report.accepted);
    } finally {
      await queue.close();
      await dropPrefix(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
