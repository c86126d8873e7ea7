/** Checks on the files a command names, made before it touches Redis. */
import { type FileHandle, open, stat, unlink } from 'node:fs/promises';
import { CannotReadError, CannotWriteError, EmptyInputError } from './file-errors.ts';

/** Bytes read at a time while looking for the first non-blank byte. */
const chunkSize = 64 * 1024;

/** True for the bytes a blank line is made of. */
function isBlankByte(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** A UTF-8 byte order mark: not a prompt line either. */
const bom = [0xef, 0xbb, 0xbf];

/**
 * Makes sure FILE can be read and holds at least one non-blank line. Throws CannotReadError
 * (missing, a directory, no permission) or EmptyInputError (empty, or blank lines only). Reads
 * only up to the first non-blank byte, which for a normal prompt file is the first one.
 */
export async function checkInputFile(file: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new CannotReadError(file, error);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new CannotReadError(file, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
    const buffer = Buffer.alloc(chunkSize);
    let offset = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, null);
      if (bytesRead === 0) throw new EmptyInputError(file, offset > 0);
      for (let i = 0; i < bytesRead; i += 1, offset += 1) {
        const byte = buffer[i] as number;
        if (offset < bom.length && byte === bom[offset]) continue;
        if (!isBlankByte(byte)) return;
      }
    }
  } catch (error) {
    if (error instanceof CannotReadError || error instanceof EmptyInputError) throw error;
    throw new CannotReadError(file, error);
  } finally {
    await handle.close();
  }
}

/**
 * Makes sure FILE can be opened for writing (its directory exists, it is no directory, we may
 * write it), without changing an existing file; throws CannotWriteError. Used before long work
 * whose output goes there, so a typo in `-o` fails in a second instead of after the batch.
 */
export async function checkOutputFile(file: string): Promise<void> {
  const existed = await stat(file).then(
    () => true,
    () => false,
  );
  try {
    const handle = await open(file, 'a');
    await handle.close();
  } catch (error) {
    throw new CannotWriteError(file, error);
  }
  if (!existed) await unlink(file).catch(() => {});
}
