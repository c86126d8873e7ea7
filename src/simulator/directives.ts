/**
 * Directives a prompt can carry to steer the simulator, so tests can reach every path:
 * `[[sim:fault=overloaded]]` forces a fault, `[[sim:words=500]]` asks for a long answer.
 */
import { faultKinds, type FaultKind } from './faults.ts';

export interface Directives {
  fault?: FaultKind;
  /** Filler words appended to the answer. */
  words?: number;
}

/** More filler than this is a typo, not a test. */
export const MAX_FILLER_WORDS = 1_000_000;

const directivePattern = /\[\[sim:([a-z_-]+)=([^\]]*)\]\]/g;
const faultNames: ReadonlySet<string> = new Set(faultKinds);

/**
 * The directives in a prompt. Throws a `DirectiveError` for a malformed or unknown directive, so
 * a typo in a test prompt answers 400 instead of passing silently.
 */
export function parseDirectives(promptText: string): Directives {
  const directives: Directives = {};
  if (!promptText.includes('[[sim:')) return directives;
  for (const match of promptText.matchAll(directivePattern)) {
    const name = match[1] ?? '';
    const value = match[2] ?? '';
    if (name === 'fault') {
      if (!faultNames.has(value)) {
        throw new DirectiveError(`[[sim:fault=${value}]]: unknown fault; use one of ${faultKinds.join(', ')}`);
      }
      directives.fault = value as FaultKind;
    } else if (name === 'words') {
      const words = Number(value);
      if (!Number.isInteger(words) || words < 0 || words > MAX_FILLER_WORDS) {
        throw new DirectiveError(`[[sim:words=${value}]]: must be a whole number from 0 to ${MAX_FILLER_WORDS}`);
      }
      directives.words = words;
    } else {
      throw new DirectiveError(`[[sim:${name}=${value}]]: unknown directive; use fault= or words=`);
    }
  }
  return directives;
}

export class DirectiveError extends Error {
  override readonly name = 'DirectiveError';
}
