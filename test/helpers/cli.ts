import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The command line from its TypeScript sources (through tsx), so tests never run a stale dist/. */
export const relayqSource = resolve('cli.ts');
const runTs = resolve('bin/run-ts.js');
const childCoverageHook = pathToFileURL(resolve('scripts/coverage/child-hook.js')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the child was killed because it outlived `timeoutMs` (a hang). */
  timedOut?: boolean;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** SIGKILL the child after this long, so a hang fails the test instead of stalling the suite. */
  timeoutMs?: number;
  /** Where the child's stdout goes instead of a pipe (an open file descriptor). */
  stdoutFd?: number;
}

/** Runs the relayq command line in a child process (the same Node that runs the tests). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done(timedOut ? { code, stdout, stderr, timedOut } : { code, stdout, stderr });
    });
  });
}

export function spawnCli(args: string[], options: CliOptions = {}): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...options.env };
  if (!options.env || !('RELAYQ_CONFIG' in options.env)) delete env.RELAYQ_CONFIG;
  if (options.env && !('REDIS_URL' in options.env)) delete env.REDIS_URL;
  // npm run coverage: the child records its coverage too (scripts/coverage/child-hook.js).
  const coverage = env.RELAYQ_CHILD_COVERAGE ? ['--import', childCoverageHook] : [];
  return spawn(process.execPath, [...coverage, runTs, relayqSource, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env,
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
  });
}
