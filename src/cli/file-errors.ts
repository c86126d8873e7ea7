/**
 * File errors as a person reads them: `cannot write /x/y.jsonl: no such directory`, with the
 * path and a few words instead of an errno stack trace.
 */

/** A few words for an fs error code; the code itself when it has none here. */
export function fsReason(error: unknown, access: 'read' | 'write'): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return access === 'write' ? 'no such directory' : 'no such file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EFBIG':
      return 'file too large';
    case 'EIO':
      return 'input/output error';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return code ?? ((error as Error | undefined)?.message || String(error));
  }
}

/** An output file (or stdout) that cannot be written: exit status 1. */
export class CannotWriteError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
    hint = '',
  ) {
    super(`cannot write ${path}: ${fsReason(cause, 'write')}${hint}`, { cause });
    this.name = 'CannotWriteError';
  }
}

/** An input file that does not exist or cannot be read: exit status 5. */
export class CannotReadError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot read ${path}: ${fsReason(cause, 'read')}`, { cause });
    this.name = 'CannotReadError';
  }
}

/** An input file without a single prompt line (empty, or blank lines only): exit status 3, and no batch is made. */
export class EmptyInputError extends Error {
  constructor(
    readonly path: string,
    readonly blankLines: boolean,
  ) {
    super(`${path} ${blankLines ? 'holds only blank lines' : 'is empty'}: there is no prompt to submit`);
    this.name = 'EmptyInputError';
  }
}
