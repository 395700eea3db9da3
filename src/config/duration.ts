import { DittoError } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const PATTERN = /^(\d+)(s|m|h|d)?$/;

/** Parses `90s`, `15m`, `2h`, `1d` or plain seconds into whole seconds; null when malformed. */
export function tryParseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text > 0 ? text : null;
  const match = PATTERN.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] ?? 's']!;
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : null;
}

export function parseDuration(text: string | number, what = 'duration'): number {
  const seconds = tryParseDuration(text);
  if (seconds === null) {
    throw new DittoError('BAD_INPUT', `bad ${what} '${text}'`, {
      hint: 'use a positive whole number with an optional unit: 90s, 15m, 2h, 1d',
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
