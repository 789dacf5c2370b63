/** Python's str() of datetime.now() and of a timedelta, as the command module reports them. */

/** wall-clock time with microseconds (Date alone only has milliseconds) */
export function preciseNow(): { epochMicros: number } {
  return { epochMicros: Math.round((performance.timeOrigin + performance.now()) * 1000) };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "2026-11-22 06:04:23.340605" in local time; the fraction is left out when it is zero */
export function pyDatetime(epochMicros: number): string {
  const d = new Date(Math.floor(epochMicros / 1000));
  const micros = ((epochMicros % 1_000_000) + 1_000_000) % 1_000_000;
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return micros === 0 ? base : `${base}.${pad(micros, 6)}`;
}

/** "0:00:00.003070", "1 day, 2:03:04" */
export function pyTimedelta(micros: number): string {
  const totalSeconds = Math.floor(micros / 1_000_000);
  const frac = micros % 1_000_000;
  const days = Math.floor(totalSeconds / 86400);
  const rest = totalSeconds % 86400;
  const hms = `${Math.floor(rest / 3600)}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  const withFrac = frac === 0 ? hms : `${hms}.${pad(frac, 6)}`;
  return days === 0 ? withFrac : `${days} day${days === 1 ? '' : 's'}, ${withFrac}`;
}
