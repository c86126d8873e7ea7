/**
 * The command line's entry point (bin/relayq.js runs its build, dist/cli.js): the CLI of src/cli
 * with the job types of jobs/ — the one place, with index.ts, that sees both.
 */
import { jobTypes } from './jobs/index.ts';
import { runCli } from './src/cli/main.ts';

await runCli(process.argv, jobTypes);
