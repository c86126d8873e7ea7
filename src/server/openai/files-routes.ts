/**
 * OpenAI's Files API, for batch input: `POST /v1/files` (multipart: `file` and `purpose` in any
 * order, the SDK sends `file` first; streamed to disk, never held whole), list, retrieve, delete,
 * and `GET /v1/files/{id}/content`, which also serves a batch's output and error files: the
 * batch's results in OpenAI's batch output lines, streamed from Redis.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getBatch } from '../../batches/batch-store.ts';
import { isTerminal } from '../../batches/status.ts';
import {
  deleteFile,
  filePath,
  getFile,
  listFiles,
  newFileId,
  recordFile,
  type StoredFile,
  writeFileBytes,
} from '../../files/file-store.ts';
import { canSee, principalOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { UploadMeter } from '../api/upload.ts';
import { resultStream } from '../../batches/export/result-stream.ts';
import { resultFileOf } from './batch-object.ts';

const fileObject = (file: StoredFile) => ({
  id: file.id,
  object: 'file' as const,
  bytes: file.bytes,
  created_at: file.created_at,
  filename: file.filename,
  purpose: file.purpose,
  status: 'processed' as const,
  expires_at: null,
  status_details: null,
});

const fileParams = z.object({ id: z.string() });

/** A file the principal may see: an upload of its tenant, or the output or error file of one of its batches. */
async function visibleFile(ctx: ServerContext, request: FastifyRequest, id: string) {
  const principal = principalOf(request);
  const result = resultFileOf(id);
  if (result) {
    const batch = await getBatch(ctx.redis, ctx.keys, result.batchId);
    if (batch === null || !canSee(principal, batch.tenant) || !isTerminal(batch.status))
      throw new ApiError('not_found', `No such File object: ${id}`);
    return { kind: 'results' as const, batch, part: result.part };
  }
  const file = await getFile(ctx.redis, ctx.keys, id);
  if (file === null || !canSee(principal, file.tenant)) throw new ApiError('not_found', `No such File object: ${id}`);
  return { kind: 'upload' as const, file };
}

export function registerFileRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { dir, maxBytes } = ctx.config.server.files;

  api.post('/files', { schema: { hide: true }, bodyLimit: maxBytes + 1024 * 1024 }, async (request, reply) => {
    const principal = principalOf(request);
    if (!request.isMultipart())
      throw new ApiError('invalid_request', 'send the file as multipart/form-data with the fields file and purpose');
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024)
      throw new ApiError('payload_too_large', `the file is larger than the ${maxBytes} bytes allowed`);
    const id = newFileId();
    let purpose: string | null = null;
    let stored: { filename: string; bytes: number } | null = null;
    try {
      for await (const part of request.parts({ limits: { files: 1, fileSize: maxBytes + 1, fields: 10 } })) {
        if (part.type === 'field') {
          if (part.fieldname === 'purpose') purpose = String(part.value);
          continue;
        }
        if (part.fieldname !== 'file') {
          part.file.resume();
          continue;
        }
        const meter = new UploadMeter(maxBytes);
        await writeFileBytes(dir, id, part.file, meter);
        stored = { filename: part.filename || 'upload.jsonl', bytes: meter.bytes };
      }
    } catch (error) {
      await deleteFile(ctx.redis, ctx.keys, dir, id);
      if (error instanceof ApiError) throw error;
      throw new ApiError('invalid_request', 'the upload broke off before its end; no file was stored');
    }
    if (stored === null) throw Object.assign(new ApiError('invalid_request', "Missing required parameter: 'file'."), { param: 'file' });
    if (purpose !== 'batch') {
      await deleteFile(ctx.redis, ctx.keys, dir, id);
      throw Object.assign(
        new ApiError(
          'invalid_request',
          purpose === null ? "Missing required parameter: 'purpose'." : `relayq takes files of purpose 'batch', not '${purpose}'.`,
        ),
        { param: 'purpose' },
      );
    }
    const file: StoredFile = { id, ...stored, purpose, tenant: principal.tenant, created_at: Math.floor(Date.now() / 1000) };
    await recordFile(ctx.redis, ctx.keys, file);
    return reply.send(fileObject(file));
  });

  api.get('/files', { schema: { hide: true } }, async (request) => {
    const principal = principalOf(request);
    const files = (await listFiles(ctx.redis, ctx.keys)).filter((file) => canSee(principal, file.tenant)).map(fileObject);
    return { object: 'list', data: files, first_id: files[0]?.id ?? null, last_id: files.at(-1)?.id ?? null, has_more: false };
  });

  api.get('/files/:id', { schema: { hide: true, params: fileParams } }, async (request) => {
    const found = await visibleFile(ctx, request, request.params.id);
    if (found.kind === 'upload') return fileObject(found.file);
    return {
      id: request.params.id,
      object: 'file',
      bytes: 0,
      created_at: Math.floor(Date.parse(found.batch.completed_at ?? found.batch.created_at) / 1000),
      filename: `${found.batch.id}_${found.part === 'output' ? 'output' : 'error'}.jsonl`,
      purpose: 'batch_output',
      status: 'processed',
      expires_at: null,
      status_details: null,
    };
  });

  api.delete('/files/:id', { schema: { hide: true, params: fileParams } }, async (request) => {
    const found = await visibleFile(ctx, request, request.params.id);
    if (found.kind !== 'upload')
      throw new ApiError('invalid_request', 'the output and error files of a batch go with the batch; they cannot be deleted apart');
    await deleteFile(ctx.redis, ctx.keys, dir, found.file.id);
    return { id: found.file.id, object: 'file', deleted: true };
  });

  api.get('/files/:id/content', { schema: { hide: true, params: fileParams } }, async (request, reply) => {
    const found = await visibleFile(ctx, request, request.params.id);
    if (found.kind === 'upload') {
      return reply.type('application/octet-stream').send(createReadStream(filePath(dir, found.file.id)));
    }
    const stream = resultStream(ctx, found.batch.id, { format: 'openai', part: found.part });
    return reply.type('application/octet-stream').send(stream);
  });
}
