/**
 * The nesting depth of a JSON text, found without parsing it: JSON.parse, zod and BullMQ's
 * serialisation all recurse, so a line nested thousands of levels deep is refused before any of
 * them sees it. Brackets inside strings do not count.
 */

const openBrace = 0x7b; // {
const openBracket = 0x5b; // [
const closeBrace = 0x7d; // }
const closeBracket = 0x5d; // ]
const quote = 0x22; // "
const backslash = 0x5c; // \

/** Whether the JSON text nests objects and arrays deeper than `maxDepth` levels (`{}` is one level). */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  // A text with no more opening brackets than the limit cannot exceed it: the common case, found by native indexOf.
  if (!hasMoreOpenings(text, maxDepth)) return false;
  return jsonDepth(text, maxDepth) > maxDepth;
}

/** The deepest nesting of the text, counting stops once past `stopAbove`. Malformed JSON gets a best-effort count. */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === backslash) i += 1;
      else if (code === quote) inString = false;
    } else if (code === quote) inString = true;
    else if (code === openBrace || code === openBracket) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (code === closeBrace || code === closeBracket) depth -= 1;
  }
  return deepest;
}

function hasMoreOpenings(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ['{', '[']) {
    let at = text.indexOf(bracket);
    while (at !== -1) {
      count += 1;
      if (count > limit) return true;
      at = text.indexOf(bracket, at + 1);
    }
  }
  return false;
}
