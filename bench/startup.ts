/**
 * Start-up of the command line: `relayq --help` from the built package (bin/relayq.js -> dist/),
 * run 10 times in turn with `node -e 0` (Node's own start-up), both as child processes. Prints
 * the medians and their ratio; the target is a `--help` median of at most 0.2 s.
 * `npm run bench -- startup [--runs 10]`. Builds dist/ first when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { argValue, table } from './support.ts';

function timeMs(args: string[]): number {
  const started = process.hrtime.bigint();
  const outcome = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (outcome.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${outcome.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export default async function startup(args: string[]): Promise<void> {
  const runs = argValue(args, '--runs', 10);
  if (!existsSync('dist/cli.js')) {
    const built = spawnSync(process.execPath, ['scripts/build.js'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const help: number[] = [];
  const bare: number[] = [];
  timeMs(['bin/relayq.js', '--help']); // warm the file cache
  for (let i = 0; i < runs; i++) {
    bare.push(timeMs(['-e', '0']));
    help.push(timeMs(['bin/relayq.js', '--help']));
  }
  const helpMedian = median(help);
  const bareMedian = median(bare);
  console.log(
    table([
      ['command', `median of ${runs}`, 'min', 'max'],
      ['node -e 0', `${bareMedian.toFixed(0)} ms`, `${Math.min(...bare).toFixed(0)} ms`, `${Math.max(...bare).toFixed(0)} ms`],
      ['relayq --help', `${helpMedian.toFixed(0)} ms`, `${Math.min(...help).toFixed(0)} ms`, `${Math.max(...help).toFixed(0)} ms`],
    ]),
  );
  console.log(
    `ratio relayq --help / node -e 0: ${(helpMedian / bareMedian).toFixed(2)}; target: --help median <= 200 ms (${helpMedian <= 200 ? 'met' : 'missed'})`,
  );
}
