/**
 * Which of a pool's accounts one admission looks at. The admission script reads every account it
 * is sent (some 30 fields each), so sending a pool's every account makes Redis's work per prompt
 * grow with the account count. Instead each admission sends a small sample: the power of two
 * choices. Two accounts of the best rank that may have room, drawn at random weighted by
 * `weight`; the script takes the one with more headroom (times weight). Dedicated accounts and
 * priority keep their order: a lower rank fills a slot only when the higher ones have no
 * account left that may have room.
 *
 * "May have room" is this worker's view: not disabled or cooling down in the account cache, and
 * no hint that it has none. Every answer without room tells each sampled account's own wait, kept
 * here as a hint until that time (a concurrency wait until a lease frees here, or a short poll);
 * a settle on the account clears a hint that waited for concurrency or tokens. When every account has a hint the worker waits for the
 * soonest without asking Redis.
 *
 * With several account groups (the account keys of a sharded prefix, src/redis/keys.ts) one
 * admission call may touch one group only: the first account drawn decides the group, and the
 * second is drawn among that group's accounts.
 */
import type { AccountCache } from './account-cache.ts';
import type { Candidate } from './candidates.ts';

/** Accounts per admission call. */
export const sampleSize = 2;
/** Admission calls one prompt may make before it waits (the hints then steer the next try). */
export const maxCallsPerAdmission = 2;
/** How long "at its concurrency limit" or "disabled" keeps an account out of samples when no lease frees here first. */
const unknownWaitHintMs = 100;
const disabledHintMs = 500;

export interface RoomHint {
  /** No room before this time (ms since the epoch). */
  until: number;
  /** The admission script's reason code (cooldown, r, i, o, t, concurrency, disabled). */
  why: string;
}

/** What this worker learned about accounts without room: shared by all its pools. */
export class RoomHints {
  private readonly hints = new Map<string, RoomHint>();

  get(accountId: string, now: number): RoomHint | undefined {
    const hint = this.hints.get(accountId);
    if (hint === undefined) return undefined;
    if (hint.until <= now) {
      this.hints.delete(accountId);
      return undefined;
    }
    return hint;
  }

  /** Records one account's wait as the admission script answered it (-1: until a lease frees; -2: disabled). */
  noRoom(accountId: string, waitMs: number, why: string, now: number): void {
    const ms = waitMs === -2 ? disabledHintMs : waitMs < 0 ? unknownWaitHintMs : waitMs;
    if (ms <= 0) return;
    this.hints.set(accountId, { until: now + ms, why });
  }

  /**
   * A call on the account settled: its lease is free and unused reserved tokens came back, so a
   * wait for concurrency or tokens may be over. A wait for requests or a cooldown is not.
   */
  settled(accountId: string): void {
    const why = this.hints.get(accountId)?.why;
    if (why !== undefined && why !== 'r' && why !== 'cooldown' && why !== 'disabled') this.hints.delete(accountId);
  }
}

/**
 * Up to `size` candidates that may have room, best rank first and, within a rank, drawn weighted
 * by weight without replacement, all of the first one's group. `skip`: accounts already tried
 * for this prompt.
 */
export function sampleCandidates(
  candidates: readonly Candidate[],
  cache: AccountCache,
  hints: RoomHints,
  skip: ReadonlySet<string>,
  now: number,
  size = sampleSize,
  random: () => number = Math.random,
  groupOf: (accountId: string) => number = () => 0,
): Candidate[] {
  const picked: Candidate[] = [];
  // Candidates come sorted by rank, best first (candidates.ts); walk one rank at a time.
  let start = 0;
  while (start < candidates.length && picked.length < size) {
    const rank = (candidates[start] as Candidate).rank;
    let end = start;
    const open: Candidate[] = [];
    while (end < candidates.length && (candidates[end] as Candidate).rank === rank) {
      const candidate = candidates[end] as Candidate;
      const inGroup = picked.length === 0 || groupOf(candidate.account.id) === groupOf((picked[0] as Candidate).account.id);
      if (inGroup && mayHaveRoom(candidate, cache, hints, skip, now)) open.push(candidate);
      end += 1;
    }
    while (open.length > 0 && picked.length < size) {
      picked.push(drawWeighted(open, random));
      // The rest of the sample comes from the first one's group.
      const group = groupOf((picked[0] as Candidate).account.id);
      for (let index = open.length - 1; index >= 0; index -= 1) {
        if (groupOf((open[index] as Candidate).account.id) !== group) open.splice(index, 1);
      }
    }
    start = end;
  }
  return picked;
}

function mayHaveRoom(candidate: Candidate, cache: AccountCache, hints: RoomHints, skip: ReadonlySet<string>, now: number): boolean {
  const id = candidate.account.id;
  if (skip.has(id)) return false;
  const state = cache.get(id);
  if (state === undefined || state.disabledBy !== null || state.coolUntil > now) return false;
  return hints.get(id, now) === undefined;
}

/** Removes and returns one candidate of `open`, with probability proportional to its weight. */
function drawWeighted(open: Candidate[], random: () => number): Candidate {
  let total = 0;
  for (const candidate of open) total += candidate.account.weight;
  let point = random() * total;
  let index = 0;
  for (; index < open.length - 1; index += 1) {
    point -= (open[index] as Candidate).account.weight;
    if (point < 0) break;
  }
  return open.splice(index, 1)[0] as Candidate;
}

/**
 * The soonest time any candidate may have room by this worker's view (cooldowns and hints), with
 * the reason; null when some enabled candidate has neither, or every candidate is disabled.
 */
export function soonestRoom(
  candidates: readonly Candidate[],
  cache: AccountCache,
  hints: RoomHints,
  now: number,
): { waitMs: number; why: string } | null {
  let soonest: { waitMs: number; why: string } | null = null;
  for (const candidate of candidates) {
    const id = candidate.account.id;
    const state = cache.get(id);
    if (state === undefined || state.disabledBy !== null) continue;
    const hint = hints.get(id, now);
    const until = Math.max(state.coolUntil, hint?.until ?? 0);
    if (until <= now) return null;
    const why = state.coolUntil >= (hint?.until ?? 0) ? 'cooldown' : (hint?.why ?? 'cooldown');
    if (soonest === null || until - now < soonest.waitMs) soonest = { waitMs: Math.ceil(until - now), why };
  }
  return soonest;
}
