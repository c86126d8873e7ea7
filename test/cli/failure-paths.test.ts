/**
 * Every command's failure paths: an unreachable Redis, a batch that does not exist, files that
 * cannot be read or written. Each ends with one line on stderr, the exit status the README
 * documents, and no stack trace, within a bound (a hang fails the test).
 */
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/lib/free-port.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli, spawnCli, type CliOptions, type CliResult } from '../helpers/cli.ts';
import { anthropicBatchLine, promptText, tempDir, writeConfig, writePromptFile } from '../helpers/files.ts';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.ts';
import { dropPrefix, testPrefix, testRedis, testRedisUrl } from '../helpers/redis.ts';

/** Exit statuses, as in the README's table. */
const exit = { failure: 1, usage: 2, rejected: 3, notFound: 5 } as const;
const boundMs = 30_000;
const missingBatch = 'batch_doesnotexist0000';

function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(args, { timeoutMs: boundMs, ...options });
}

/** One `relayq: ...` line on stderr matching MESSAGE, exit status CODE, no stack trace, no hang. */
function expectOneLineFailure(result: CliResult, code: number, message: RegExp): void {
  const context = `exit ${result.code}${result.timedOut ? ' (killed: it hung)' : ''}, stderr:\n${result.stderr}`;
  expect(result.timedOut, context).toBeUndefined();
  expect(result.code, context).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines, context).toHaveLength(1);
  expect(lines[0], context).toMatch(/^relayq: /);
  expect(lines[0], context).toMatch(message);
  expect(result.stderr, context).not.toMatch(/^\s+at /m);
}

describe('CLI failure paths', () => {
  const dir = tempDir('relayq-failures');
  const prefix = testPrefix('fail');
  let simulator: RunningSimulator;
  let redis: Redis;
  let config: string;
  let file: string;
  /** A finished batch whose results (~180 kB) are more than a stream buffers. */
  let batchId = '';
  const env = () => ({ REDIS_URL: testRedisUrl() });

  beforeAll(async () => {
    simulator = await startSimulator({ latencyMs: 1 });
    redis = testRedis();
    config = writeConfig(dir, {
      redis: { prefix },
      accounts: [{ id: 'sim', provider: 'anthropic', baseUrl: simulator.url, apiKey: 'sk-ant-fail' }],
    });
    file = writePromptFile(
      dir,
      Array.from({ length: 300 }, (_, i) => anthropicBatchLine(`id-${i}`, promptText(i))),
    );
    const run = await cli(['run', file, '-o', join(dir, 'first.jsonl'), '-c', config], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    batchId = /batch (batch_[a-z0-9]+)/.exec(run.stderr)?.[1] ?? '';
  });

  afterAll(async () => {
    await simulator.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('with an unreachable Redis', () => {
    let unreachable = '';
    beforeAll(async () => {
      // A port that was free a moment ago and that nothing listens on.
      unreachable = `redis://127.0.0.1:${await freePort()}`;
    });

    const commands: [string, () => string[]][] = [
      ['submit', () => ['submit', file]],
      ['run', () => ['run', file, '-o', join(dir, 'never.jsonl')]],
      ['worker', () => ['worker']],
      ['batches', () => ['batches']],
      ['status', () => ['status', missingBatch]],
      ['results', () => ['results', missingBatch, '-o', join(dir, 'never.jsonl')]],
      ['cancel', () => ['cancel', missingBatch]],
      ['pause', () => ['pause', missingBatch]],
      ['resume', () => ['resume', missingBatch]],
      ['retry', () => ['retry', missingBatch]],
      ['usage', () => ['usage']],
      ['accounts list', () => ['accounts', 'list']],
    ];
    for (const [name, args] of commands) {
      it(`${name} says Redis does not answer, exit 1, and starts no Redis of its own`, async () => {
        const result = await cli([...args(), '-c', config], { env: { REDIS_URL: unreachable } });
        expectOneLineFailure(result, exit.failure, /Redis at redis:\/\/127\.0\.0\.1:\d+ does not answer \(ECONNREFUSED\)/);
        expect(result.stderr).not.toContain('started redis-server');
      });
    }
  });

  describe('with a Redis that wants a password', () => {
    let secured: OwnRedis;
    beforeAll(async () => {
      secured = await startOwnRedis({ extra: ['--requirepass', 'right-password'] });
    });
    afterAll(async () => {
      await secured.kill();
    });

    it('reports a wrong password as a credentials error (WRONGPASS), exit 2, without the password', async () => {
      const result = await cli(['batches'], { env: { REDIS_URL: `redis://:wrong-password@127.0.0.1:${secured.port}` } });
      expectOneLineFailure(result, exit.usage, /refused the user name or password \(WRONGPASS\): fix the credentials in REDIS_URL/);
      expect(result.stderr).not.toContain('wrong-password');
    });

    it('reports a missing password as NOAUTH, exit 2', async () => {
      const result = await cli(['status', missingBatch], { env: { REDIS_URL: secured.url } });
      expectOneLineFailure(result, exit.usage, /wants a password and none was given \(NOAUTH\)/);
    });
  });

  describe('with a batch that does not exist', () => {
    for (const command of ['status', 'results', 'cancel', 'pause', 'resume', 'retry']) {
      it(`${command} says so, exit 5`, async () => {
        const result = await cli([command, missingBatch, '-c', config], { env: env() });
        expectOneLineFailure(result, exit.notFound, new RegExp(`no batch ${missingBatch}`));
      });
    }
  });

  describe('with an output that cannot be written', () => {
    const unwritable: [string, () => string, RegExp][] = [
      ['a missing directory', () => join(dir, 'no-such-dir', 'out.jsonl'), /no such directory/],
      ['a directory', () => dir, /it is a directory/],
      ['/proc/version', () => '/proc/version', /./],
      ['/dev/full', () => '/dev/full', /no space left on device/],
    ];
    for (const [what, path, reason] of unwritable) {
      for (const format of ['native', 'openai', 'anthropic']) {
        it(`results -o ${what} --format ${format} names the path and the error, exit 1, no hang`, async () => {
          if (what === '/proc/version' && !existsSync('/proc/version')) return;
          const result = await cli(['results', batchId, '-o', path(), '--format', format, '-c', config], { env: env() });
          expectOneLineFailure(result, exit.failure, /cannot write \S+: /);
          if (format !== 'openai' || what !== '/proc/version') expect(result.stderr).toMatch(reason);
        });
      }
    }

    it('results > /dev/full says stdout cannot be written, exit 1, no stack trace', async () => {
      const full = openSync('/dev/full', 'w');
      try {
        const result = await cli(['results', batchId, '-c', config], { env: env(), stdoutFd: full });
        expectOneLineFailure(result, exit.failure, /cannot write stdout: no space left on device/);
      } finally {
        closeSync(full);
      }
    });

    it('run -o in a missing directory fails before it submits anything, exit 1', async () => {
      const before = await redis.zcard(`{${prefix}}:batches`);
      const out = join(dir, 'missing', 'results.jsonl');
      const result = await cli(['run', file, '-o', out, '-c', config], { env: env() });
      expectOneLineFailure(result, exit.failure, new RegExp(`cannot write ${out}: no such directory`));
      expect(await redis.zcard(`{${prefix}}:batches`)).toBe(before);
    });

    it('submit --errors-out in a missing directory fails before it submits anything, exit 1', async () => {
      const out = join(dir, 'missing', 'rejects.jsonl');
      const result = await cli(['submit', file, '--errors-out', out, '-c', config], { env: env() });
      expectOneLineFailure(result, exit.failure, new RegExp(`cannot write ${out}: no such directory`));
    });
  });

  describe('with an input file that holds no prompt or cannot be read', () => {
    const emptyFile = () => {
      const path = join(dir, 'empty.jsonl');
      writeFileSync(path, '');
      return path;
    };
    const blankFile = () => {
      const path = join(dir, 'blank.jsonl');
      writeFileSync(path, '\n   \n\t\r\n\n');
      return path;
    };
    for (const command of ['submit', 'run', 'submit --dry-run']) {
      it(`${command} rejects an empty file up front, exit 3, and makes no batch`, async () => {
        const before = await redis.zcard(`{${prefix}}:batches`);
        const path = emptyFile();
        const result = await cli([...command.split(' '), path, '-c', config], { env: env() });
        expectOneLineFailure(result, exit.rejected, new RegExp(`${path} is empty: there is no prompt to submit`));
        expect(result.stdout).toBe('');
        expect(await redis.zcard(`{${prefix}}:batches`)).toBe(before);
      });

      it(`${command} rejects a file of blank lines the same way, exit 3`, async () => {
        const path = blankFile();
        const result = await cli([...command.split(' '), path, '-c', config], { env: env() });
        expectOneLineFailure(result, exit.rejected, new RegExp(`${path} holds only blank lines`));
      });

      it(`${command} names a directory given as the input file, exit 5`, async () => {
        const input = join(dir, 'a-directory.jsonl');
        mkdirSync(input, { recursive: true });
        const result = await cli([...command.split(' '), input, '-c', config], { env: env() });
        expectOneLineFailure(result, exit.notFound, new RegExp(`cannot read ${input}: it is a directory`));
      });

      it(`${command} names a missing input file, exit 5`, async () => {
        const input = join(dir, 'nowhere.jsonl');
        const result = await cli([...command.split(' '), input, '-c', config], { env: env() });
        expectOneLineFailure(result, exit.notFound, new RegExp(`cannot read ${input}: no such file`));
      });
    }
  });

  it('results --follow on a batch still running ends on SIGTERM', async () => {
    const pending = writePromptFile(dir, [anthropicBatchLine('waits', promptText(1))], 'pending.jsonl');
    const submitted = await cli(['submit', pending, '-c', config], { env: env() });
    expect(submitted.code, submitted.stderr).toBe(0);
    const child = spawnCli(['results', submitted.stdout.trim(), '--follow', '-o', join(dir, 'follow.jsonl'), '-c', config], { env: env() });
    const bound = setTimeout(() => child.kill('SIGKILL'), boundMs);
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Sent once the command has started (its first stderr byte would be too late: it writes none while following).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    child.kill('SIGTERM');
    const signal = await ended;
    clearTimeout(bound);
    expect(signal).toBe('SIGTERM');
  });
});
