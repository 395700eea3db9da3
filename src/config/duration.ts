import { DittoError } from '../errors.js';

/** Units largest first, each at most once, as Go's durations and the established ditto write them: `1h30m`, `2h15m30s`. */
const PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const UNIT_SECONDS = [86400, 3600, 60, 1];

/** Parses `90s`, `15m`, `2h`, `1d`, `1h30m`, `2h15m30s` or plain seconds into whole seconds; null when malformed. */
export function tryParseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text > 0 ? text : null;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return tryParseDuration(Number(trimmed));
  const match = trimmed === '' ? null : PATTERN.exec(trimmed);
  if (!match) return null;
  const seconds = UNIT_SECONDS.reduce((sum, unit, i) => sum + Number(match[i + 1] ?? 0) * unit, 0);
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : null;
}

export function parseDuration(text: string | number, what = 'duration'): number {
  const seconds = tryParseDuration(text);
  if (seconds === null) {
    throw new DittoError('BAD_INPUT', `bad ${what} '${text}'`, {
      hint: 'use whole numbers with units: 90s, 15m, 2h, 1d, 1h30m (or plain seconds)',
    });
  }
  return seconds;
}

/** Renders seconds as the largest exact-ish unit pair: `1h05m`, `15m`, `42s`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return rest ? `${m}m${String(rest).padStart(2, '0')}s` : `${m}m`;
  }
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? `${h}h${String(m).padStart(2, '0')}m` : `${h}h`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  return h ? `${d}d${h}h` : `${d}d`;
}
