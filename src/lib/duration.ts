/** Durations as people write them: `90s`, `30m`, `24h`, `7d`, `2w`, `500ms` (or plain seconds). */
const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The duration in ms; null when the text is no positive duration. */
export function durationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (units[match[2] ?? 's'] ?? 1_000) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? Math.round(value) : null;
}

/** A duration back from now (`7d`) or a date (`2025-06-01`, read as UTC), as ms since the epoch; null when it is neither. */
export function sinceMs(text: string, now = Date.now()): number | null {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isFinite(at)) return at;
  }
  const back = durationMs(text);
  return back === null ? null : now - back;
}
