/**
 * fast-check generators of input lines, from valid ones of every format to hostile ones: deep
 * nesting, huge strings, invalid UTF-8, byte order marks, NULs and other control characters,
 * numbers out of range, prototype-polluting keys, truncated and random bytes. Each line is bytes
 * with no `\n` in it (so a file of n lines has n lines).
 */
import fc from 'fast-check';

const pollutingKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Keys as a hostile file would have them: ordinary, empty, prototype-polluting, control characters. */
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...pollutingKeys) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);

const idArb = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9_-]{1,20}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 0, maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom(...pollutingKeys, '', ' ', 'a\nb', '\u001b[2J', 'x'.repeat(65)) },
);

/** JSON values with hostile keys, a few levels deep. */
const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const messagesArb = fc.array(
  fc.record({
    role: fc.constantFrom('user', 'assistant', 'system', 'tool', ''),
    content: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), jsonArb),
  }),
  { maxLength: 3 },
);

const bodyArb = fc.oneof(
  fc.record(
    {
      model: fc.constantFrom('claude-test', 'gpt-4o-mini', 'gemini-2.5-flash', 'unknown-model', ''),
      max_tokens: fc.oneof(fc.integer(), fc.double()),
      messages: messagesArb,
    },
    { requiredKeys: ['messages'] },
  ),
  fc.dictionary(keyArb, jsonArb, { maxKeys: 5 }),
);

const contentArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 200 });

/** Lines of each format that should be accepted (unless their ids collide), with any text in them. */
const validObjectArb = fc.oneof(
  fc.record({
    custom_id: idArb,
    params: fc.record({
      model: fc.constant('claude-test'),
      max_tokens: fc.integer({ min: 1, max: 4096 }),
      messages: fc.tuple(fc.record({ role: fc.constant('user'), content: contentArb })),
    }),
  }),
  fc.record({
    custom_id: idArb,
    method: fc.constant('POST'),
    url: fc.constant('/v1/chat/completions'),
    body: fc.record({
      model: fc.constantFrom('gpt-4o-mini', 'claude-test'),
      messages: fc.tuple(fc.record({ role: fc.constant('user'), content: contentArb })),
    }),
  }),
  fc.record({
    key: idArb,
    request: fc.record({
      model: fc.constant('gemini-2.5-flash'),
      contents: fc.tuple(fc.record({ role: fc.constant('user'), parts: fc.tuple(fc.record({ text: contentArb })) })),
    }),
  }),
);

/** A line object of one of the four formats (maybe invalid inside). */
const lineObjectArb = fc.oneof(
  fc.record({ custom_id: idArb, params: bodyArb }),
  fc.record(
    {
      custom_id: idArb,
      body: bodyArb,
      provider: fc.constantFrom('anthropic', 'openai', 'gemini', 'bedrock', 'azure-openai', 'nope'),
      model: fc.string({ maxLength: 10 }),
    },
    { requiredKeys: ['custom_id', 'body'] },
  ),
  fc.record({
    custom_id: idArb,
    method: fc.constantFrom('POST', 'GET'),
    url: fc.constantFrom('/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/nope'),
    body: bodyArb,
  }),
  fc.record({ key: idArb, request: fc.oneof(fc.record({ contents: jsonArb }), fc.dictionary(keyArb, jsonArb, { maxKeys: 3 })) }),
  fc.dictionary(keyArb, jsonArb, { maxKeys: 5 }),
);

const textLine = (text: string) => Buffer.from(text, 'utf8');

/** Replaces every `\n` byte, so a generated line stays one line. */
function oneLine(bytes: Buffer): Buffer {
  for (let i = 0; i < bytes.length; i += 1) if (bytes[i] === 0x0a) bytes[i] = 0x20;
  return bytes;
}

const nestedArb = fc
  .record({ depth: fc.integer({ min: 1, max: 4000 }), kind: fc.constantFrom('[', '{"a":', '[{"b":') })
  .map(({ depth, kind }) => {
    const close = kind === '[' ? ']' : kind === '{"a":' ? '}' : '}]';
    return `{"custom_id":"deep","params":{"model":"claude-test","max_tokens":5,"messages":[{"role":"user","content":"x"}],"metadata":${kind.repeat(depth)}1${close.repeat(depth)}}}`;
  });

const numberOutOfRangeArb = fc
  .constantFrom(
    '1e400',
    '-1e400',
    '123456789012345678901234567890',
    '0x10',
    'NaN',
    'Infinity',
    '-0',
    '1e-400',
    '9007199254740993',
    '01',
    '.5',
    '+1',
  )
  .map((number) => `{"custom_id":"n","params":{"model":"claude-test","max_tokens":${number},"messages":[{"role":"user","content":"x"}]}}`);

const hugeStringArb = fc.integer({ min: 10_000, max: 200_000 }).map((size) =>
  JSON.stringify({
    custom_id: 'huge',
    params: { model: 'claude-test', max_tokens: 5, messages: [{ role: 'user', content: 'y'.repeat(size) }] },
  }),
);

/** A byte sequence spliced into an otherwise valid line: invalid UTF-8, a BOM, a NUL, control bytes. */
const spliceArb = fc.constantFrom(
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xef, 0xbb, 0xbf],
  [0x00],
  [0x1b, 0x5b, 0x32, 0x4a],
  [0x0d],
  [0x7f],
  [0xc2, 0x9b],
);

/** One input line's bytes. */
export const lineArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 6, arbitrary: validObjectArb.map((object) => textLine(JSON.stringify(object))) },
    { weight: 6, arbitrary: lineObjectArb.map((object) => textLine(JSON.stringify(object))) },
    { weight: 1, arbitrary: nestedArb.map(textLine) },
    { weight: 1, arbitrary: numberOutOfRangeArb.map(textLine) },
    {
      weight: 1,
      arbitrary: fc
        .constant(0)
        .chain(() => hugeStringArb)
        .map(textLine),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(lineObjectArb, spliceArb, fc.double({ min: 0, max: 1, noNaN: true })).map(([object, splice, where]) => {
        const bytes = textLine(JSON.stringify(object));
        const at = Math.floor(where * bytes.length);
        return Buffer.concat([bytes.subarray(0, at), Buffer.from(splice), bytes.subarray(at)]);
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(lineObjectArb, fc.double({ min: 0, max: 1, noNaN: true })).map(([object, where]) => {
        const bytes = textLine(JSON.stringify(object));
        return bytes.subarray(0, Math.floor(where * bytes.length));
      }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }).map(textLine) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '',
          '   ',
          '\t',
          '\r',
          'null',
          '[]',
          '"x"',
          '1',
          '{}',
          '{"__proto__":{"polluted":1}}',
          '{"constructor":{"prototype":{"polluted":1}}}',
        )
        .map(textLine),
    },
  )
  .map(oneLine);

/** The lines of a file, sometimes with a byte order mark before the first. */
export const fileArb = fc.record({ lines: fc.array(lineArb, { minLength: 100, maxLength: 140 }), bom: fc.boolean(), crlf: fc.boolean() });

export function fileBytes(file: { lines: Buffer[]; bom: boolean; crlf: boolean }): Buffer {
  const parts: Buffer[] = file.bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
  for (const line of file.lines) parts.push(line, Buffer.from(file.crlf ? '\r\n' : '\n'));
  return Buffer.concat(parts);
}
