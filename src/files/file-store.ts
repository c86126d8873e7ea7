/**
 * Files uploaded through the OpenAI-compatible Files API (`POST /v1/files`): the bytes in a
 * directory (config `server.files.dir`), one file per id, written as a stream; the records in one
 * Redis hash. On disk rather than in Redis because batch inputs run to hundreds of megabytes: Redis
 * holds everything in memory (and in every replica), and the ingest reads a path at disk speed.
 * Several server processes share the files when the directory is shared (a network volume).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.ts';

export const storedFileSchema = z.object({
  id: z.string(),
  filename: z.string(),
  bytes: z.number(),
  purpose: z.string(),
  /** The tenant of the key that uploaded it. */
  tenant: z.string().nullable(),
  /** Unix seconds. */
  created_at: z.number(),
});
export type StoredFile = z.infer<typeof storedFileSchema>;

export const fileIdPattern = /^file-[a-z0-9]{24}$/;

export function newFileId(): string {
  return `file-${randomBytes(12).toString('hex')}`;
}

export function filePath(dir: string, id: string): string {
  return join(resolve(dir), id);
}

/** Streams `source` (through `transforms`, e.g. a size limit) into the file of a new id; the record is written by `recordFile`. */
export async function writeFileBytes(dir: string, id: string, source: Readable, ...transforms: NodeJS.ReadWriteStream[]): Promise<void> {
  await mkdir(resolve(dir), { recursive: true });
  const path = filePath(dir, id);
  try {
    await pipeline([source, ...transforms, createWriteStream(path)]);
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

export async function recordFile(redis: Redis, keys: Keys, file: StoredFile): Promise<void> {
  await redis.hset(keys.files(), file.id, JSON.stringify(file));
}

export async function getFile(redis: Redis, keys: Keys, id: string): Promise<StoredFile | null> {
  if (!fileIdPattern.test(id)) return null;
  const raw = await redis.hget(keys.files(), id);
  return raw === null ? null : storedFileSchema.parse(JSON.parse(raw));
}

/** Every stored file, newest first (the records are small; the bytes stay on disk). */
export async function listFiles(redis: Redis, keys: Keys): Promise<StoredFile[]> {
  const all = await redis.hvals(keys.files());
  return all.map((raw) => storedFileSchema.parse(JSON.parse(raw))).sort((a, b) => b.created_at - a.created_at || b.id.localeCompare(a.id));
}

/** Removes the record and the bytes; false when there was no such file. */
export async function deleteFile(redis: Redis, keys: Keys, dir: string, id: string): Promise<boolean> {
  const removed = await redis.hdel(keys.files(), id);
  await rm(filePath(dir, id), { force: true });
  return removed === 1;
}
