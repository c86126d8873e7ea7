/**
 * The long-running commands: worker, server and simulate. Each imports what it runs when it runs, so
 * `relayq worker` never loads the simulator and `relayq simulate` never loads BullMQ.
 */
import { Option, type Command } from 'commander';
import { configHelp, UsageError, withRuntime } from '../context.ts';

export function registerServiceCommands(program: Command): void {
  program
    .command('worker')
    .option('-c, --config <file>', configHelp)
    .description('process prompt jobs until stopped (run as many as you like, on as many machines)')
    .option('--metrics-port <port>', 'serve Prometheus metrics at GET /metrics on this port', portNumber('--metrics-port'))
    .option('--metrics-host <host>', 'address the metrics port listens on', '127.0.0.1')
    .action(async (options: { config?: string; metricsPort?: number; metricsHost: string }) => {
      const { workerCommand } = await import('./worker.ts');
      process.exitCode = await withRuntime({ configPath: options.config, needAccounts: true }, (runtime) =>
        workerCommand(runtime, { metricsPort: options.metricsPort, metricsHost: options.metricsHost }),
      );
    });

  program
    .command('server')
    .description("serve relayq's /api and the OpenAI- and Anthropic-compatible batch APIs over HTTP, until stopped")
    .option('-p, --port <port>', "port to listen on (default: the config's server.port, else 8080)", portNumber('--port'))
    .option('--host <host>', "address to listen on (default: the config's server.host, else 127.0.0.1)")
    .option('--worker', 'also run a prompt worker in this process (a one-box deployment)')
    .option('-c, --config <file>', configHelp)
    .addHelpText('after', '\nExample:\n  relayq keys create --name me\n  relayq server --port 8080 --worker')
    .action(async (options: { port?: number; host?: string; worker?: boolean; config?: string }) => {
      const { serverCommand } = await import('./server.ts');
      const worker = options.worker === true;
      process.exitCode = await withRuntime({ configPath: options.config, needAccounts: worker }, (runtime) =>
        serverCommand(runtime, { port: options.port, host: options.host, worker }),
      );
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

/** The parser of a port option: a whole number from 0 to 65535. */
function portNumber(option: string): (value: string) => number {
  return (value) => {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`${option} wants a port number (0 to 65535), not "${value}"`);
    return port;
  };
}
