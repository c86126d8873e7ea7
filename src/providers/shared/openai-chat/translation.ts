/** What a translation gives back, and the error for a request that cannot be translated. */
import type { JsonObject } from '../../../executors/types.ts';

export interface Translation {
  /** The request body in the target provider's format. */
  body: JsonObject;
  /** Settings the target cannot honour, each phrased for a person reading the result. */
  warnings: string[];
}

/**
 * A request that has no faithful translation for its target (a tool result without its call,
 * an image the target cannot take and nothing else left to send, ...). Retrying cannot help.
 */
export class TranslationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranslationError';
  }
}

/** Collects warnings once each, in the order they arose. */
export function warningList(initial: readonly string[] = []): { warnings: string[]; warn: (warning: string) => void } {
  const warnings = [...initial];
  return {
    warnings,
    warn(warning) {
      if (!warnings.includes(warning)) warnings.push(warning);
    },
  };
}
