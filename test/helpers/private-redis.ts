import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../src/lib/free-port.ts';
import { probeRedis } from '../../src/redis/connection.ts';

export interface PrivateRedis {
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILLs the server (an outage) and waits until it is gone. */
  kill(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free 127.0.0.1 port, without persistence, for tests that
 * stop it or give it a password. `extra` are more redis-server arguments (`--requirepass x`).
 */
export async function startPrivateRedis(extra: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let tries = 0; (await probeRedis(url, 300)).state === 'unreachable'; tries += 1) {
    if (child.exitCode !== null || tries > 200) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not start`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url,
    child,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
