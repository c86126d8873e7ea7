import { spawn, type ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import { resolveRedis, type ResolvedRedis } from '../src/redis/embedded.ts';
import { freePort } from '../src/lib/free-port.ts';

export function argValue(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} wants a positive number`);
  return value;
}

/** Redis's CPU seconds so far, system and user (INFO cpu): a bench's Redis cost is the difference of two readings. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_sys') + field('used_cpu_user');
}

export async function benchRedis(): Promise<ResolvedRedis> {
  return resolveRedis({ url: process.env.REDIS_URL, dataDir: '.relayq/bench-redis' });
}

/** The simulator in its own process, so it does not share an event loop with what is measured. */
export async function startSimulatorProcess(configFile?: string): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const args = ['bin/run-ts.js', 'cli.ts', 'simulate', '--port', String(port)];
  if (configFile) args.push('--config', configFile);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/_sim/stats`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the simulator did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function waitFor(check: () => Promise<boolean>, intervalMs = 20): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

export function rate(count: number, ms: number): number {
  return count / (ms / 1000);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
}
