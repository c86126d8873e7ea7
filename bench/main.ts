/**
 * `npm run bench [-- SCENARIO] [--jobs N]`. Every scenario prints ratios against a baseline
 * measured in the same run: these machines are noisy, absolute numbers do not compare.
 */
const scenarios: Record<string, () => Promise<{ default: (args: string[]) => Promise<void> }>> = {
  throughput: () => import('./throughput.ts'),
  scheduling: () => import('./scheduling.ts'),
  ingest: () => import('./ingest.ts'),
  startup: () => import('./startup.ts'),
  overload: () => import('./overload.ts'),
  upload: () => import('./upload.ts'),
  dashboard: () => import('./dashboard.ts'),
  admission: () => import('./admission.ts'),
  sizing: () => import('./sizing.ts'),
  cluster: () => import('./cluster.ts'),
};

const [name = 'throughput', ...rest] = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
const load = name.startsWith('--') ? scenarios.throughput : scenarios[name];
if (!load) {
  console.error(`unknown bench "${name}"; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
const module = await load();
await module.default(name.startsWith('--') ? [name, ...rest] : rest);
process.exit(0);
