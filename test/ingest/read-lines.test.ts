import { describe, expect, it } from 'vitest';
import { exceedsDepth, jsonDepth } from '../../src/ingest/json-depth.ts';
import { eachInputLine, invalidUtf8Offset, LineSplitter, type InputLine } from '../../src/ingest/read-lines.ts';

async function* chunks(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

async function read(parts: Buffer[], max = 1000): Promise<InputLine[]> {
  const out: InputLine[] = [];
  for await (const line of eachInputLine(chunks(parts), max)) out.push(line);
  return out;
}

describe('reading input lines as bytes', () => {
  it('splits on \\n across chunks, drops a \\r before it, and a BOM at the start of the file only', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const lines = await read([bom, Buffer.from('{"a":1}\r'), Buffer.from('\n\n'), bom, Buffer.from('x\nlast')]);
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '' },
      { line: 3, text: '\ufeffx' },
      { line: 4, text: 'last' },
    ]);
  });

  it('rejects invalid UTF-8 with the byte it starts at, and says when a file is UTF-16', async () => {
    const lines = await read([Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x0a]), Buffer.from('ok\n'), Buffer.from([0x61, 0xc3, 0x28, 0x0a])]);
    expect(lines[0]?.error).toMatch(/looks UTF-16 encoded/);
    expect(lines[1]).toEqual({ line: 2, text: 'ok' });
    expect(lines[2]).toEqual({ line: 3, error: 'not valid UTF-8 (at byte 2 of the line)' });
    expect(invalidUtf8Offset(Buffer.from('caf\u00e9 \u{1f600}'))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // a UTF-16 surrogate
    expect(invalidUtf8Offset(Buffer.from([0x41, 0xe0, 0x80, 0xaf]))).toBe(1); // overlong
    expect(invalidUtf8Offset(Buffer.from([0x41, 0x42, 0xf0, 0x9f]))).toBe(2); // cut short
  });

  it('skips a line over the limit to its newline without keeping it', () => {
    const splitter = new LineSplitter(1024 * 1024);
    const seen: InputLine[] = [];
    seen.push(...splitter.push(Buffer.from('first\n[')));
    // 64 MB of one line, in fresh 64 KB chunks: a splitter that kept them would hold all 64 MB.
    let held = 0;
    for (let i = 0; i < 1024; i += 1) {
      seen.push(...splitter.push(Buffer.alloc(64 * 1024, 0x5b)));
      held = Math.max(held, splitter.heldBytes);
    }
    seen.push(...splitter.push(Buffer.from(']\nnext\n')));
    expect(seen.map((line) => line.line)).toEqual([1, 2, 3]);
    expect(seen[1]?.error).toBe(
      'line is 64.0 MB (67108866 bytes), over the limit of 1.0 MB (1048576 bytes) (ingest.maxLineBytes in the config)',
    );
    expect(seen[2]).toEqual({ line: 3, text: 'next' });
    expect(held).toBeLessThanOrEqual(1024 * 1024);
    expect(splitter.heldBytes).toBe(0);
  });
});

describe('JSON nesting depth', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[[{{{{\\"[["}')).toBe(1);
    expect(jsonDepth('1')).toBe(0);
    expect(exceedsDepth(`${'['.repeat(129)}${']'.repeat(129)}`, 128)).toBe(true);
    expect(exceedsDepth(`${'['.repeat(128)}${']'.repeat(128)}`, 128)).toBe(false);
    // Many brackets side by side are not deep.
    expect(exceedsDepth(`[${'[],'.repeat(1000)}[]]`, 128)).toBe(false);
    expect(exceedsDepth(`"${'['.repeat(1000)}"`, 128)).toBe(false);
  });
});
