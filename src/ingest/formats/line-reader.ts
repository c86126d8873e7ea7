/**
 * Reads the lines of one input file. The file's format is detected from its first line (relayq
 * lines, OpenAI Batch, Anthropic Message Batches, Gemini Batch; detect.ts); batch-level defaults
 * are filled in; then every line gets parse-line.ts's checks (model, provider, body). With no
 * defaults to fill, lines go to parseLine untouched (the fast path a million-line file takes).
 * Whatever a line holds, reading it never throws: anything that fails on one line is that line's
 * rejection.
 */
import type { BatchDefaults } from '../../batches/batch-store.ts';
import type { RoutingRule } from '../../accounts/routing.ts';
import type { IngestLimits } from '../../config/schema.ts';
import { parseJsonLine, parseLine, parseLineObject, type LineResult, type ParseLineOptions } from '../parse-line.ts';
import { applyDefaults, hasDefaults } from './defaults.ts';
import { detectLineFormat, type InputFormat, type LineFormat } from './detect.ts';
import { nativeLineFormat } from './native.ts';

export interface LineReaderOptions {
  defaults?: BatchDefaults;
  routing?: readonly RoutingRule[];
  /** JSON nesting depth and custom_id length (the config's `ingest`; its defaults when left out). */
  limits?: Partial<IngestLimits>;
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
  const limits = options.limits;
  const parseOptions = (): ParseLineOptions => ({ routing, defaults, fileFormat: format, limits });

  const readLine = (text: string): LineResult => {
    if (format !== null && !filling) return parseLine(text, parseOptions());
    const json = parseJsonLine(text, limits?.maxDepth);
    if ('error' in json) return { ok: false, customId: null, error: json.error };
    const object = json.object;
    format ??= detectLineFormat(object) ?? null;
    if (!filling) return parseLineObject(object, parseOptions());
    const lineFormat = detectLineFormat(object) ?? format ?? nativeLineFormat;
    return parseLineObject(applyDefaults(object, lineFormat.id, defaults, routing), parseOptions());
  };

  return {
    get format() {
      return format?.id ?? null;
    },
    read(text) {
      try {
        return readLine(text);
      } catch (error) {
        // A check that fails on some odd input (a recursion too deep, a value no schema expected) rejects the line only.
        return { ok: false, customId: null, error: `cannot read the line: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}
