/**
 * Reads the lines of one input file. The file's format is detected from its first line (relayq
 * lines, OpenAI Batch, Anthropic Message Batches, Gemini Batch; detect.ts); batch-level defaults
 * are filled in; then every line gets parse-line.ts's checks (model, provider, body). With no
 * defaults to fill, lines go to parseLine untouched (the fast path a million-line file takes).
 */
import type { BatchDefaults } from '../../batches/batch-store.ts';
import type { RoutingRule } from '../../accounts/routing.ts';
import { parseLine, parseLineObject, type LineResult, type ParseLineOptions } from '../parse-line.ts';
import { applyDefaults, hasDefaults } from './defaults.ts';
import { detectLineFormat, type InputFormat, type LineFormat } from './detect.ts';
import { nativeLineFormat } from './native.ts';

export interface LineReaderOptions {
  defaults?: BatchDefaults;
  routing?: readonly RoutingRule[];
}

export interface LineReader {
  /** The file's format, once its first line was read (null before, or when it matched none). */
  readonly format: InputFormat | null;
  read(text: string): LineResult;
}

export function createLineReader(options: LineReaderOptions = {}): LineReader {
  const defaults = options.defaults ?? {};
  const routing = options.routing ?? [];
  const filling = hasDefaults(defaults);
  let format: LineFormat | null = null;
  const parseOptions = (): ParseLineOptions => ({ routing, defaults, fileFormat: format });

  return {
    get format() {
      return format?.id ?? null;
    },
    read(text) {
      if (format !== null && !filling) return parseLine(text, parseOptions());
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        return { ok: false, customId: null, error: `invalid JSON: ${(error as Error).message}` };
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        return { ok: false, customId: null, error: 'a line must be a JSON object' };
      }
      const object = json as Record<string, unknown>;
      format ??= detectLineFormat(object) ?? null;
      if (!filling) return parseLineObject(object, parseOptions());
      const lineFormat = detectLineFormat(object) ?? format ?? nativeLineFormat;
      return parseLineObject(applyDefaults(object, lineFormat.id, defaults, routing), parseOptions());
    },
  };
}
