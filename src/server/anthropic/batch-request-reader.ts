/**
 * Reads the body of `POST /v1/messages/batches`, `{"requests": [{"custom_id", "params"}, ...]}`,
 * as a stream (a streaming JSON parser; the body is never held whole): each request is checked as
 * the ingest checks an Anthropic batch line, with Anthropic's custom_id rules, and written out as
 * one. The first bad request ends the read with an error naming it, as Anthropic answers 400 for
 * a batch with one bad request; nothing is submitted then.
 */
import type { Readable } from 'node:stream';
import { JSONParser, TokenType } from '@streamparser/json';
import type { LineReader } from '../../ingest/formats/line-reader.ts';
import { ApiError } from '../errors.ts';

/** Anthropic's rule for custom_id. */
const customIdPattern = /^[a-zA-Z0-9_-]{1,64}$/;

/** Most requests one Message Batch may hold (Anthropic's limit). */
export const maxBatchRequests = 100_000;

export interface BatchRequestReadOptions {
  reader: LineReader;
  /** Takes each checked request as an Anthropic batch line (no newline). */
  write(line: string): Promise<void>;
}

function badRequest(index: number, message: string): ApiError {
  return new ApiError('invalid_request', `requests.${index}: ${message}`);
}

/** Reads every request of the body; returns how many there were. */
export async function readBatchRequests(source: Readable, options: BatchRequestReadOptions): Promise<number> {
  const parser = new JSONParser({ paths: ['$.requests.*'], keepStack: false });
  const found: unknown[] = [];
  let topLevelChecked = false;
  parser.onToken = ({ token }) => {
    // The first token must open an object.
    if (!topLevelChecked) {
      topLevelChecked = true;
      if (token !== TokenType.LEFT_BRACE) throw new ApiError('invalid_request', 'the body must be a JSON object: {"requests": [...]}');
    }
  };
  parser.onValue = ({ value }) => {
    found.push(value);
  };
  const seen = new Set<string>();
  let count = 0;
  const take = async () => {
    for (const request of found.splice(0)) {
      const index = count;
      count += 1;
      if (count > maxBatchRequests) throw new ApiError('invalid_request', `a batch holds at most ${maxBatchRequests} requests`);
      if (typeof request !== 'object' || request === null || Array.isArray(request))
        throw badRequest(index, 'must be an object {custom_id, params}');
      const customId = (request as { custom_id?: unknown }).custom_id;
      if (typeof customId !== 'string' || !customIdPattern.test(customId))
        throw badRequest(index, 'custom_id must be 1 to 64 characters of letters, digits, _ and -');
      if (seen.has(customId)) throw badRequest(index, `custom_id "${customId}" appears twice; each request needs its own`);
      seen.add(customId);
      const line = JSON.stringify(request);
      const parsed = options.reader.read(line);
      if (!parsed.ok) throw badRequest(index, parsed.error.replaceAll('\n', ' '));
      await options.write(line);
    }
  };
  try {
    for await (const chunk of source) {
      parser.write(chunk as Buffer);
      await take();
    }
    if (!parser.isEnded) parser.end();
    await take();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('invalid_request', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (count === 0) throw new ApiError('invalid_request', 'requests: a batch needs at least one request');
  return count;
}
