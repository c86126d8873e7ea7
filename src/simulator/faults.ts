/**
 * Fault injection: faults forced by a prompt directive, or drawn at the configured rates from a
 * seeded PRNG so a run with the same seed and the same arrival order injects the same faults.
 */
import type { SimulatorFaults } from './config.ts';

export const faultKinds = [
  'overloaded',
  'server',
  'rate_limit',
  'invalid',
  'permission',
  'not_found',
  'too_large',
  'drop',
  'cut-stream',
  'stream-error',
  'slow',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Faults answered with an error before admission (nothing is consumed); the others shape an admitted request. */
export const errorFaultKinds = ['overloaded', 'server', 'rate_limit', 'invalid', 'permission', 'not_found', 'too_large'] as const;
export type ErrorFaultKind = (typeof errorFaultKinds)[number];

const errorFaultNames: ReadonlySet<string> = new Set(errorFaultKinds);

export function isErrorFault(fault: FaultKind): fault is ErrorFaultKind {
  return errorFaultNames.has(fault);
}

/** mulberry32: a small, fast PRNG with a 32-bit state; uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private random: () => number;
  /** [upper bound of the cumulative rate, fault], in draw order. */
  private readonly table: readonly (readonly [number, FaultKind])[];

  constructor(private readonly faults: SimulatorFaults) {
    this.random = seededRandom(faults.seed);
    const rates: [number, FaultKind][] = [
      [faults.overloadedRate, 'overloaded'],
      [faults.serverErrorRate, 'server'],
      [faults.rateLimitRate, 'rate_limit'],
      [faults.dropRate, 'drop'],
      [faults.cutStreamRate, 'cut-stream'],
      [faults.slowRate, 'slow'],
    ];
    let cumulative = 0;
    const table: [number, FaultKind][] = [];
    for (const [rate, kind] of rates) {
      if (rate <= 0) continue;
      cumulative += rate;
      table.push([cumulative, kind]);
    }
    this.table = table;
  }

  /**
   * The fault for one request: the forced one when given, else a random draw (one draw per
   * request whenever any rate is set, forced or not, so forcing does not shift the sequence).
   */
  pick(forced: FaultKind | undefined): FaultKind | undefined {
    let drawn: FaultKind | undefined;
    if (this.table.length > 0) {
      const roll = this.random();
      for (const [bound, kind] of this.table) {
        if (roll < bound) {
          drawn = kind;
          break;
        }
      }
    }
    return forced ?? drawn;
  }

  get slowMs(): number {
    return this.faults.slowMs;
  }

  get rateLimitRetryAfterSeconds(): number {
    return this.faults.rateLimitRetryAfterSeconds;
  }

  /** Starts the random sequence over from the seed. */
  reset(): void {
    this.random = seededRandom(this.faults.seed);
  }
}
