/**
 * A redis-server of a test's own, on a free 127.0.0.1 port. Given a directory, its append-only
 * file is fsynced on every write (`appendfsync always`): a test can `kill -9` it and start it
 * again on the same port from the same directory, and every write Redis acknowledged is still
 * there. Without one it keeps nothing (for tests that stop it or give it a password).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/lib/free-port.ts';
import { probeRedis } from '../../src/redis/connection.ts';

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

export interface OwnRedisOptions {
  /** Where the append-only file lives; left out, the server keeps nothing. */
  dir?: string;
  /** More redis-server arguments (`--requirepass x`). */
  extra?: string[];
  binary?: string;
}

export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<OwnRedis> {
  const { dir, extra = [], binary = 'redis-server' } = options;
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const persistence = dir === undefined ? ['--appendonly', 'no'] : ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--save', '', '--protected-mode', 'yes', ...extra];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    const started = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child = started;
    exited = new Promise((done) => started.once('exit', () => done()));
    const deadline = Date.now() + 15_000;
    // PING answers LOADING (not PONG) until the AOF is read back; a server with a password
    // refuses it (NOAUTH), which also means it is up.
    while ((await probeRedis(url, 300)).state === 'unreachable') {
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
