/**
 * Reads the lines of one input file. The file's format is detected from its first line (relayq
 * lines, OpenAI Batch, Anthropic Message Batches, Gemini Batch); batch-level defaults are filled
 * in; then every line gets parse-line.ts's checks (model, provider, body). Lines of a format
 * parse-line.ts reads itself, with no defaults to fill, go to it untouched (the fast path a
 * million-line file takes).
 */
import type { BatchDefaults } from '../../batches/batch-store.ts';
import type { RoutingRule } from '../../accounts/routing.ts';
import { providerNameSchema } from '../../config/schema.ts';
import { parseLine, type LineResult } from '../parse-line.ts';
import { applyDefaults, hasDefaults } from './defaults.ts';
import { detectInputFormat, type InputFormat } from './detect.ts';
import { readGeminiBatchLine } from './gemini-batch.ts';

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
  const parseOptions = { routing: options.routing ?? [] };
  const filling = hasDefaults(defaults);
  let format: InputFormat | null = null;

  function readObject(object: Record<string, unknown>): LineResult {
    const lineFormat = detectInputFormat(object) ?? format ?? 'native';
    const line = filling ? applyDefaults(object, lineFormat, defaults, parseOptions.routing) : object;
    if (lineFormat !== 'gemini-batch') return parseLine(JSON.stringify(line), parseOptions);
    const customId = typeof object.key === 'string' && object.key !== '' ? object.key : null;
    const request = readGeminiBatchLine(line, defaults.model);
    if (typeof request === 'string') return { ok: false, customId, error: request };
    const provider = defaults.provider ?? 'gemini';
    if (!providerNameSchema.safeParse(provider).success || !request.providers?.includes(provider as 'gemini')) {
      return { ok: false, customId, error: `Gemini batch lines run on gemini accounts, not on ${provider}` };
    }
    const native = { custom_id: request.customId, provider, model: request.model, body: request.body };
    return parseLine(JSON.stringify(native), parseOptions);
  }

  return {
    get format() {
      return format;
    },
    read(text) {
      if (format !== null && format !== 'gemini-batch' && !filling) return parseLine(text, parseOptions);
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
      format ??= detectInputFormat(object);
      return readObject(object);
    },
  };
}
