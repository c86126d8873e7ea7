/**
 * A prompt file sent as the request body (any content type), or as the first file of a
 * multipart/form-data body (`curl -F file=@prompts.jsonl`), received into a temporary file, streamed (never held in memory whole), for
 * the ingest to read like any prompt file. Over the limit (by Content-Length, or by the bytes
 * that actually came) it answers 413; a body that breaks off (the client went away, a timeout)
 * throws, and the file is removed: no batch is made from half an upload.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

export interface ReceivedUpload {
  path: string;
  bytes: number;
  /** Whether any byte other than whitespace (and a byte order mark) came: an empty upload holds no prompt. */
  hasContent: boolean;
  /** Removes the file and its directory. */
  remove(): Promise<void>;
}

/** Counts the bytes, stops past the limit, and notes whether anything but blanks came. */
export class UploadMeter extends Transform {
  bytes = 0;
  hasContent = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const start = this.bytes;
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(new ApiError('payload_too_large', `the upload is larger than ${this.limit} bytes`));
      return;
    }
    if (!this.hasContent) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i] as number;
        const inBom = start + i < 3 && byte === [0xef, 0xbb, 0xbf][start + i];
        if (!inBom && byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) {
          this.hasContent = true;
          break;
        }
      }
    }
    done(null, chunk);
  }
}

/** Room a multipart body needs beyond its file (boundaries, part headers, small fields). */
const multipartOverhead = 64 * 1024;

/** Streams the request body (or its first file part) into a new temporary file. */
export async function receiveUpload(request: FastifyRequest, limit: number): Promise<ReceivedUpload> {
  const multipart = typeof request.isMultipart === 'function' && request.isMultipart();
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit + (multipart ? multipartOverhead : 0)) {
    throw new ApiError('payload_too_large', `the upload is ${declared} bytes, more than the ${limit} allowed`);
  }
  let source: Readable = request.raw;
  if (multipart) {
    const part = await request.file({ limits: { files: 1, fileSize: limit + 1, fieldSize: multipartOverhead, fields: 20 } });
    if (part === undefined)
      throw new ApiError(
        'invalid_request',
        'the multipart body holds no file: send the prompt file as a file field (curl -F file=@prompts.jsonl)',
      );
    source = part.file;
  }
  const dir = await mkdtemp(join(tmpdir(), 'relayq-upload-'));
  const path = join(dir, 'input.jsonl');
  const remove = () => rm(dir, { recursive: true, force: true });
  const meter = new UploadMeter(limit);
  try {
    await pipeline(source, meter, createWriteStream(path));
  } catch (error) {
    await remove();
    if (error instanceof ApiError) throw error;
    throw new ApiError('invalid_request', 'the upload broke off before its end; nothing was submitted');
  }
  return { path, bytes: meter.bytes, hasContent: meter.hasContent, remove };
}
