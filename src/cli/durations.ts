/** Durations on the command line: `90s`, `30m`, `24h`, `7d`, `2w` (or plain seconds). */
import { UsageError } from './context.ts';

const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string, option = 'duration'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (units[match[2] ?? 's'] ?? 1_000) : NaN;
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${option} wants a duration such as 90s, 30m, 24h or 7d, not "${text}"`);
  return Math.round(value);
}

/** `--since`: a duration back from now (`7d`) or a date (`2025-06-01`, read as UTC). Returns ms since the epoch. */
export function parseSince(text: string, now = Date.now()): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isFinite(at)) return at;
  }
  return now - parseDuration(text, '--since');
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
