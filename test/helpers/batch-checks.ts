/**
 * What a finished batch of simulator prompts must hold, for the tests that kill workers or move
 * Redis slots under it: every prompt succeeded, each custom_id has exactly one result, and each
 * result is the simulator's answer to that prompt's own text (`promptText(n)` for custom_id `<letter>n`).
 */
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { getBatch } from '../../src/batches/batch-store.ts';
import { readResultLines, type ResultRecord } from '../../src/batches/results.ts';
import type { Keys } from '../../src/redis/keys.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { promptText } from './files.ts';

export async function expectOneAnswerEach(redis: Redis, keys: Keys, batchId: string, total: number): Promise<void> {
  const batch = await getBatch(redis, keys, batchId);
  expect(batch?.counts).toEqual({ total, succeeded: total, errored: 0, cancelled: 0, expired: 0, pending: 0, rejected: 0 });
  const seen = new Set<string>();
  for await (const line of readResultLines(redis, keys, batchId)) {
    const record = JSON.parse(line) as ResultRecord;
    expect(seen.has(record.custom_id)).toBe(false);
    seen.add(record.custom_id);
    const body = record.response?.body as { content: { text: string }[] };
    expect(body.content[0]?.text).toBe(simulatedAnswer(promptText(Number(record.custom_id.slice(1)))));
  }
  expect(seen.size).toBe(total);
}
