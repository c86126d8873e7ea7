import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StatusView } from '../../src/operations/batch-status.ts';
import { liveViews } from '../../src/dashboard/pages/index.ts';

const view = (id: string, n: number) => ({ batch: { id, counts: { succeeded: n } } }) as unknown as StatusView;

describe('liveViews', () => {
  afterEach(() => vi.useRealTimers());

  it('reads a batch once per TTL however many tabs ask, each batch on its own', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    let loads = 0;
    const live = liveViews(async (id) => view(id, ++loads), 1_000);
    const first = await Promise.all(Array.from({ length: 10 }, () => live('batch_a')));
    expect(loads).toBe(1);
    expect(new Set(first).size).toBe(1);
    expect(await live('batch_b')).toEqual(view('batch_b', 2));
    vi.setSystemTime(1_000_000 + 1_000);
    expect(await live('batch_a')).toBe(first[0]);
    vi.setSystemTime(1_000_000 + 1_001);
    expect(await live('batch_a')).toEqual(view('batch_a', 3));
    expect(loads).toBe(3);
  });

  it('does not keep a failed read: the next tab tries again', async () => {
    let calls = 0;
    const live = liveViews(async () => {
      calls++;
      if (calls === 1) throw new Error('Redis went away');
      return null;
    }, 60_000);
    await expect(live('batch_a')).rejects.toThrow('Redis went away');
    expect(await live('batch_a')).toBeNull();
    expect(calls).toBe(2);
  });
});
