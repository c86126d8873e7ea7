/**
 * Splits an input file's bytes into lines. Each line is checked before it becomes text: a line
 * over the size limit is skipped to the next newline without being held in memory, a line that is
 * not valid UTF-8 is reported (never silently repaired with U+FFFD, which could make two
 * custom_ids one), and a UTF-8 byte order mark at the start of the file is dropped. Lines end at
 * `\n`; a `\r` before it is dropped too.
 */
import { isUtf8 } from 'node:buffer';

/** One line of the file: its text, or why it cannot be read (numbered from 1). */
export type InputLine = { line: number; text: string; error?: undefined } | { line: number; error: string; text?: undefined };

const newline = 0x0a;
const carriageReturn = 0x0d;

export class LineSplitter {
  private parts: Buffer[] = [];
  private bytes = 0;
  private oversize = false;
  private lineNumber = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held for the line being read (never more than the limit). */
  get heldBytes(): number {
    return this.parts.reduce((sum, part) => sum + part.length, 0);
  }

  /** The lines this chunk completes (a line split across chunks comes out with the chunk that ends it). */
  push(chunk: Buffer): InputLine[] {
    const out: InputLine[] = [];
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(newline, start);
      if (end === -1) {
        this.keep(chunk.subarray(start));
        break;
      }
      this.keep(chunk.subarray(start, end));
      out.push(this.emit());
      start = end + 1;
    }
    return out;
  }

  /** The last line, when the file does not end with a newline. */
  end(): InputLine[] {
    return this.bytes > 0 ? [this.emit()] : [];
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    this.bytes += piece.length;
    if (this.oversize) return;
    if (this.bytes > this.maxLineBytes) {
      this.oversize = true;
      this.parts = [];
      return;
    }
    this.parts.push(piece);
  }

  private emit(): InputLine {
    this.lineNumber += 1;
    const line = this.lineNumber;
    const { parts, bytes, oversize } = this;
    this.parts = [];
    this.bytes = 0;
    this.oversize = false;
    if (oversize) {
      return {
        line,
        error: `line is ${formatBytes(bytes)}, over the limit of ${formatBytes(this.maxLineBytes)} (ingest.maxLineBytes in the config)`,
      };
    }
    let data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes);
    if (line === 1 && data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    if (data.length > 0 && data[data.length - 1] === carriageReturn) data = data.subarray(0, data.length - 1);
    if (!isUtf8(data)) return { line, error: invalidUtf8Message(data, line) };
    return { line, text: data.toString('utf8') };
  }
}

/** Reads a byte stream as input lines, a chunk's worth at a time. */
export async function* readInputLines(input: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<InputLine[]> {
  const splitter = new LineSplitter(maxLineBytes);
  for await (const chunk of input) {
    const lines = splitter.push(chunk);
    if (lines.length > 0) yield lines;
  }
  const last = splitter.end();
  if (last.length > 0) yield last;
}

/** readInputLines one line at a time. */
export async function* eachInputLine(input: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<InputLine> {
  for await (const lines of readInputLines(input, maxLineBytes)) yield* lines;
}

function invalidUtf8Message(data: Buffer, line: number): string {
  if (line === 1 && data.length >= 2 && ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff))) {
    return 'not valid UTF-8: the file looks UTF-16 encoded (it starts with a UTF-16 byte order mark); relayq reads UTF-8';
  }
  return `not valid UTF-8 (at byte ${invalidUtf8Offset(data) + 1} of the line)`;
}

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629). */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let follow: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) follow = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      follow = 2;
      if (lead === 0xe0) low = 0xa0; // overlong
      if (lead === 0xed) high = 0x9f; // UTF-16 surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      follow = 3;
      if (lead === 0xf0) low = 0x90; // overlong
      if (lead === 0xf4) high = 0x8f; // beyond U+10FFFF
    } else return i;
    for (let k = 1; k <= follow; k += 1) {
      const next = bytes[i + k];
      const min = k === 1 ? low : 0x80;
      const max = k === 1 ? high : 0xbf;
      if (next === undefined || next < min || next > max) return i;
    }
    i += follow + 1;
  }
  return -1;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB (${bytes} bytes)`;
  return `${bytes} bytes`;
}
