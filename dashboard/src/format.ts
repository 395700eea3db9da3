/** Seconds as the CLI prints durations: 45s, 12m, 3h05m, 2d4h. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Seconds since an ISO time. */
export function since(iso: string | null, now: number): number | null {
  return iso === null ? null : (now - Date.parse(iso)) / 1000;
}

/** An owner without its source's prefix where it is a static token's (`token:alice` is alice). */
export function ownerName(owner: string | null): string {
  if (owner === null) return '–';
  return owner.startsWith('token:') ? owner.slice('token:'.length) : owner;
}
