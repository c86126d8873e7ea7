import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { isClusterUrl, probeRedis, redactRedisUrl, redisAnswers } from './connection.ts';
import { freePort } from '../lib/free-port.ts';

export const localRedisUrl = 'redis://127.0.0.1:6379';

export interface ResolvedRedis {
  url: string;
  /** configured: REDIS_URL or the config's redis.url; local: one answering on 127.0.0.1:6379; embedded: a redis-server relayq started. */
  origin: 'configured' | 'local' | 'embedded';
  /** Stops the embedded redis-server (no-op for the others). */
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

/** A Redis that answers but refuses relayq's credentials (NOAUTH, WRONGPASS): a config mistake. */
export class RedisAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisAuthError';
  }
}

export interface ResolveRedisOptions {
  /** A URL the user configured; used as is (and must answer). */
  url?: string;
  /** Where to look for an already running Redis when none is configured. */
  probeUrl?: string;
  /** Data directory of an embedded redis-server (its append-only file lives there). */
  dataDir?: string;
  /** The redis-server binary. */
  binary?: string;
}

/**
 * Finds the Redis to use: the configured one, else one answering on 127.0.0.1:6379, else a
 * private redis-server child process with the append-only file on, so an accepted prompt
 * survives a crash.
 */
export async function resolveRedis(options: ResolveRedisOptions = {}): Promise<ResolvedRedis> {
  const noop = async () => {};
  if (options.url) {
    const probe = await probeRedis(options.url, 3_000);
    if (probe.state === 'auth-refused') {
      const code = probe.reply.split(' ')[0];
      const what = code === 'NOAUTH' ? 'wants a password and none was given' : 'refused the user name or password';
      throw new RedisAuthError(
        `Redis at ${redactRedisUrl(options.url)} ${what} (${code}): fix the credentials in REDIS_URL / redis.url (redis.cluster).`,
      );
    }
    if (probe.state === 'unreachable') {
      throw new RedisUnavailableError(
        `Redis at ${redactRedisUrl(options.url)} does not answer (${probe.reason}). Start it, or fix REDIS_URL / redis.url (redis.cluster) in the config.`,
      );
    }
    // A redis:// URL naming one node of a Redis Cluster: the node is a seed of a cluster client.
    const url =
      probe.cluster === true && !isClusterUrl(options.url)
        ? options.url.replace(/^(rediss?):\/\//, '$1+cluster://').replace(/\/0?$/, '')
        : options.url;
    return { url, origin: 'configured', stop: noop };
  }
  const probeUrl = options.probeUrl ?? localRedisUrl;
  if (await redisAnswers(probeUrl, 500)) return { url: probeUrl, origin: 'local', stop: noop };
  return startEmbeddedRedis(options.dataDir ?? '.relayq/redis', options.binary ?? 'redis-server');
}

export async function startEmbeddedRedis(dataDir: string, binary = 'redis-server'): Promise<ResolvedRedis> {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new RedisUnavailableError(
      `No Redis is configured, none answers on 127.0.0.1:6379, and there is no ${binary} binary to start one.\n` +
        'Install Redis (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis),\n' +
        'or point relayq at one with REDIS_URL=redis://host:6379.',
    );
  }
  const directory = resolve(dataDir);
  mkdirSync(directory, { recursive: true });
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      directory,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 300))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(`could not start ${binary} on port ${port}: ${stderr.trim() || 'it did not answer in 10 s'}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  return {
    url,
    origin: 'embedded',
    stop: async () => {
      process.off('exit', stopOnExit);
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
