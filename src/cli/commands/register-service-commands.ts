/**
 * The long-running commands: worker and simulate. Each imports what it runs when it runs, so
 * `relayq worker` never loads the simulator and `relayq simulate` never loads BullMQ.
 */
import { Option, type Command } from 'commander';
import { configHelp, withRuntime } from '../context.ts';

export function registerServiceCommands(program: Command): void {
  program
    .command('worker')
    .option('-c, --config <file>', configHelp)
    .description('process prompt jobs until stopped (run as many as you like, on as many machines)')
    .action(async (options: { config?: string }) => {
      const { workerCommand } = await import('./worker.ts');
      process.exitCode = await withRuntime({ configPath: options.config, needAccounts: true }, workerCommand);
    });

  program
    .command('simulate')
    .description('run the upstream simulator (Anthropic Messages API with rate limits and faults)')
    .addOption(new Option('-p, --port <port>', 'port to listen on').default('8787').argParser((value) => Number(value)))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-c, --config <file>', 'simulator config (YAML or JSON; see config/simulator.example.yaml)')
    .action(async (options: { port: number; host: string; config?: string }) => {
      const { simulateCommand } = await import('./simulate.ts');
      await simulateCommand(options);
    });
}
