/**
 * A rejected line's report entry, bounded: however long the line's custom_id or the error text
 * that quotes it, the entry kept under the batch's rejects key, printed on stderr and shown by
 * `relayq status` stays small. Control characters are kept here (the entry is JSON) and escaped
 * where it is printed (src/lib/terminal-text.ts).
 */
import type { RejectedLine } from '../batches/batch-store.ts';
import { truncateText } from '../lib/terminal-text.ts';

/** Characters of a rejected line's custom_id kept in its report. */
export const rejectedCustomIdChars = 128;
/** Characters of a rejected line's error kept in its report. */
export const rejectedErrorChars = 2_000;

export function boundedReject(entry: RejectedLine): RejectedLine {
  const customId = entry.custom_id === null ? null : truncateText(entry.custom_id, rejectedCustomIdChars);
  const error = truncateText(entry.error, rejectedErrorChars);
  return customId === entry.custom_id && error === entry.error ? entry : { line: entry.line, custom_id: customId, error };
}
