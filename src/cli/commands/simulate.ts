import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { SimulatorConfigInput } from '../../simulator/config.ts';
import { startSimulator } from '../../simulator/server.ts';

/** Runs the upstream simulator until SIGINT/SIGTERM. */
export async function simulateCommand(options: { port: number; host: string; config?: string }): Promise<void> {
  const config = options.config ? ((parseYaml(await readFile(options.config, 'utf8')) ?? {}) as SimulatorConfigInput) : {};
  const simulator = await startSimulator(config, { port: options.port, host: options.host });
  process.stderr.write(`relayq simulator listening on ${simulator.url} (stats: ${simulator.url}/_sim/stats)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await simulator.close();
}
