/**
 * The names of the account-state fields: every account's state is one Redis hash of these fields
 * (keys.accountState). This module is the one list; state.ts and the scheduler's account
 * cache read their fields from it, and a test checks that the Lua scripts in
 * src/redis/scripts/ use no field missing here.
 *
 * Dimensions (`X`): r requests, i input tokens, o output tokens, t input + output tokens, per minute.
 */

/** Rate-limit dimensions as the state fields and scripts name them. */
export const limitDimensions = ['r', 'i', 'o', 't'] as const;
export type LimitDimension = (typeof limitDimensions)[number];

/** Written from the config when a worker starts (state.ts `registerAccounts`). */
export const configFields = [
  /** Configured requests/min, input tokens/min, output tokens/min, concurrency. */
  'cfg_r',
  'cfg_i',
  'cfg_o',
  'cfg_c',
  /** Configured input + output tokens/min: the scripts read it per dimension; no config option sets it (only learned, OpenAI's `tokens`). */
  'cfg_t',
  /** Configured `limits.burst`: seconds of refill our buckets hold until the provider's headers tell its bucket size. */
  'cfg_burst',
  /** Configured `limits.share`: the fraction of each per-minute limit relayq uses (1 when absent). */
  'cfg_share',
  /** "0" when the config disables the account. */
  'cfg_on',
  'provider',
  'group',
] as const;

/** Learned from the provider's answers (settleAccount-3.lua). */
export const learnedFields = [
  /** Per-minute limits the provider's headers announced. */
  'lrn_r',
  'lrn_i',
  'lrn_o',
  'lrn_t',
  /** The provider's bucket size, from its remaining + reset headers. */
  'cap_r',
  'cap_i',
  'cap_o',
  'cap_t',
  /** Requests/min found by AIMD when the provider announces nothing; its step and last change times. */
  'aimd_r',
  'aimd_step',
  'aimd_inc',
  'aimd_dec',
  /** When bursts drew a 429 (the provider enforces a shorter window than it reports): the account is paced since then, and why. */
  'pace',
  'pace_why',
] as const;

/** relayq's own buckets: level and when it was computed (ms), per dimension. */
export const bucketFields = ['lvl_r', 'ts_r', 'lvl_i', 'ts_i', 'lvl_o', 'ts_o', 'lvl_t', 'ts_t'] as const;

/** Health: leases, disables, cooldowns and overloads. */
export const healthFields = [
  /** Requests in flight (leases held). */
  'infl',
  /** "auth" (the provider refused the credentials), "off" (an operator disabled it), "on" (an operator enabled it over the config). */
  'dis',
  'dis_why',
  'dis_at',
  /** Cooling down until this time (ms), and why. */
  'cool',
  'cool_why',
  /** Overloads (529/503) in a row; cleared by the next success. */
  'ovl',
] as const;

/** Counters and the last error, for people (`relayq accounts list`). */
export const counterFields = ['n_adm', 'n_ok', 'n_429', 'n_err', 'err', 'err_at'] as const;

export const accountStateFields = [...configFields, ...learnedFields, ...bucketFields, ...healthFields, ...counterFields] as const;
export type AccountStateField = (typeof accountStateFields)[number];

/** The fields whose presence means a limit applies to the account (calls go through admission). */
export const limitFields = [
  'cfg_r',
  'cfg_i',
  'cfg_o',
  'cfg_c',
  'lrn_r',
  'lrn_i',
  'lrn_o',
  'lrn_t',
  'aimd_r',
] as const satisfies readonly AccountStateField[];
