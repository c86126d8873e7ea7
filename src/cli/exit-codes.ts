/** Exit statuses of the relayq command (documented in the README). */
export const exitCodes = {
  ok: 0,
  /** A failure: Redis does not answer, an output file or stdout cannot be written, a bug. */
  failure: 1,
  /** Bad usage or bad config (a Redis refusing the password too): fix the command line or the config file. */
  usage: 2,
  /** Some input lines were rejected (the valid ones ran), or the input file holds no prompt line at all. */
  rejectedLines: 3,
  /** The batch finished, but some prompts ended with an error result. */
  erroredPrompts: 4,
  /** The batch named does not exist, or the input file does not exist or cannot be read. */
  notFound: 5,
  /** The batch was cancelled: what had finished is kept, the rest has `cancelled` results. */
  cancelled: 6,
  /** The batch's completion window ended: what had finished is kept, the rest has `expired` results. */
  expired: 7,
} as const;
