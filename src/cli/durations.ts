/** Durations on the command line: `90s`, `30m`, `24h`, `7d`, `2w` (or plain seconds). */
import { durationMs, sinceMs } from '../lib/duration.ts';
import { UsageError } from './context.ts';

export function parseDuration(text: string, option = 'duration'): number {
  const value = durationMs(text);
  if (value === null) throw new UsageError(`${option} wants a duration such as 90s, 30m, 24h or 7d, not "${text}"`);
  return value;
}

/** `--since`: a duration back from now (`7d`) or a date (`2025-06-01`, read as UTC). Returns ms since the epoch. */
export function parseSince(text: string, now = Date.now()): number {
  const at = sinceMs(text, now);
  if (at === null) throw new UsageError(`--since wants a duration such as 90s, 30m, 24h or 7d, not "${text}"`);
  return at;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
