/** Exit statuses of the relayq command (documented in the README). */
export const exitCodes = {
  ok: 0,
  /** An unexpected failure: Redis went away, a bug. */
  failure: 1,
  /** Bad usage or bad config: fix the command line or the config file. */
  usage: 2,
  /** Some input lines were rejected (the valid ones ran). */
  rejectedLines: 3,
  /** The batch finished, but some prompts ended with an error result. */
  erroredPrompts: 4,
  /** The batch or file named does not exist. */
  notFound: 5,
  /** The batch was cancelled: what had finished is kept, the rest has `cancelled` results. */
  cancelled: 6,
  /** The batch's completion window ended: what had finished is kept, the rest has `expired` results. */
  expired: 7,
} as const;
