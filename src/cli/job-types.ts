/** The job types the entry point (cli.ts) gives the command line, for the commands that run a worker. */
import type { JobTypes } from '../worker/job-types.ts';

let provided: JobTypes | undefined;

export function provideJobTypes(jobs: JobTypes): void {
  provided = jobs;
}

export function jobTypes(): JobTypes {
  if (provided === undefined)
    throw new Error('the command line was started without its job types: start it through cli.ts (bin/relayq.js)');
  return provided;
}
