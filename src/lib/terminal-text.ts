/**
 * User text (custom_ids, error messages that quote a line, tags) made safe to print on a person's
 * terminal: control characters are shown escaped, so a custom_id holding `\n` cannot forge a
 * second line and one holding `\u001b[2J` cannot clear the screen.
 */

/** C0 controls, DEL, C1 controls, and the bidirectional overrides and isolates that reorder what is shown. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const named: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The text with every control character written as an escape (`\n`, `\u001b`). */
export function escapeForTerminal(text: string): string {
  return text.replace(unsafe, (char) => named[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The text cut to at most `max` characters, saying how long it was (never splitting a surrogate pair). */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… (${text.length} characters in all)`;
}
