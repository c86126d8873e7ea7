/**
 * A 100,000-line batch input through the OpenAI SDK's `files.create`, then `batches.create`, to a
 * `relayq server` in its own process (the built package, no worker). Prints the server's resident
 * memory when idle and its peak (VmHWM) after each step, against the 300 MB bound: uploads are
 * streamed to disk and ingested from there, so the peak must not grow with the file.
 * `npm run bench -- upload [--lines 100000]`. Linux only (reads /proc). Uses Redis from REDIS_URL
 * or a local one, under a key prefix of its own, deleted afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import OpenAI, { toFile } from 'openai';
import { freePort } from '../src/lib/free-port.ts';
import { argValue, benchRedis, table } from './support.ts';

const boundMb = 300;

function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

function run(args: string[], env: NodeJS.ProcessEnv): string {
  const outcome = spawnSync(process.execPath, ['bin/relayq.js', ...args], { env, encoding: 'utf8' });
  if (outcome.status !== 0) throw new Error(`relayq ${args.join(' ')} failed: ${outcome.stderr}`);
  return outcome.stdout;
}

export default async function upload(args: string[]): Promise<void> {
  const lines = argValue(args, '--lines', 100_000);
  if (!existsSync('dist/cli.js')) {
    const built = spawnSync(process.execPath, ['scripts/build.js'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const redis = await benchRedis();
  const dir = mkdtempSync(join(tmpdir(), 'relayq-bench-upload-'));
  const prefix = `relayq-bench-upload-${process.pid}`;
  const port = await freePort();
  const config = join(dir, 'relayq.yaml');
  writeFileSync(
    config,
    `redis: { prefix: ${prefix} }\nserver: { files: { dir: ${JSON.stringify(join(dir, 'files'))}, maxBytes: 1073741824 } }\n`,
  );
  const input = join(dir, 'input.jsonl');
  const body = Array.from({ length: lines }, (_, i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        max_completion_tokens: 50,
        messages: [{ role: 'user', content: `Prompt ${i}: name three things that are ${i % 7} metres long.` }],
      },
    }),
  );
  writeFileSync(input, `${body.join('\n')}\n`);
  const env = { ...process.env, REDIS_URL: redis.url };
  const key = run(['keys', 'create', '--name', 'bench', '-c', config], env).trim().split('\n').at(-1) ?? '';
  const server = spawn(process.execPath, ['bin/relayq.js', 'server', '--port', String(port), '-c', config], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const up = await fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (up) break;
      if (i > 300) throw new Error('the server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pid = server.pid as number;
    const idle = memoryMb(pid);
    const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 600_000 });
    const started = Date.now();
    const file = await client.files.create({ file: await toFile(createReadStream(input), 'input.jsonl'), purpose: 'batch' });
    const uploadMs = Date.now() - started;
    const afterUpload = memoryMb(pid);
    const createStarted = Date.now();
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const createMs = Date.now() - createStarted;
    const afterCreate = memoryMb(pid);
    const sizeMb = statSync(input).size / 1024 / 1024;
    console.log(
      table([
        ['step', 'server RSS', 'server peak RSS', 'time'],
        ['idle', `${idle.rss.toFixed(0)} MB`, `${idle.peak.toFixed(0)} MB`, '-'],
        [
          `files.create (${lines.toLocaleString('en-US')} lines, ${sizeMb.toFixed(1)} MB)`,
          `${afterUpload.rss.toFixed(0)} MB`,
          `${afterUpload.peak.toFixed(0)} MB`,
          `${(uploadMs / 1000).toFixed(1)} s`,
        ],
        [
          `batches.create (${batch.request_counts?.total.toLocaleString('en-US')} prompts queued)`,
          `${afterCreate.rss.toFixed(0)} MB`,
          `${afterCreate.peak.toFixed(0)} MB`,
          `${(createMs / 1000).toFixed(1)} s`,
        ],
      ]),
    );
    const peak = Math.max(afterUpload.peak, afterCreate.peak);
    console.log(
      `peak / idle: ${(peak / idle.rss).toFixed(2)}; peak / file size: ${(peak / sizeMb).toFixed(2)}; bound: peak RSS under ${boundMb} MB (${peak < boundMb ? 'met' : 'missed'})`,
    );
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    const client = new Redis(redis.url);
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await client.del(...found);
    } while (cursor !== '0');
    client.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
