/**
 * A redis-server of a test's own, on a free port, with its append-only file fsynced on every
 * write (`appendfsync always`): a test can `kill -9` it and start it again on the same port from
 * the same directory, and every write Redis acknowledged is still there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/lib/free-port.ts';
import { redisAnswers } from '../../src/redis/connection.ts';

export interface OwnRedis {
  url: string;
  port: number;
  /** Kills the server with SIGKILL (no shutdown, no final write) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it has loaded its AOF and answers. */
  restart(): Promise<void>;
  /** Kills it if it runs (for afterAll). */
  close(): Promise<void>;
}

/** Whether a redis-server binary can be started. */
export function hasRedisServer(binary = 'redis-server'): boolean {
  return !spawnSync(binary, ['--version']).error;
}

export async function startOwnRedis(dir: string, binary = 'redis-server'): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--save', '',
    '--protected-mode', 'yes',
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    const started = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child = started;
    exited = new Promise((done) => started.once('exit', () => done()));
    const deadline = Date.now() + 15_000;
    // PING answers LOADING (not PONG) until the AOF is read back.
    while (!(await redisAnswers(url, 300))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not start: ${stderr.trim() || 'no answer in 15 s'}`);
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  async function kill(): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    child = undefined;
  }

  await start();
  return { url, port, kill, restart: start, close: kill };
}
