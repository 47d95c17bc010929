/** Display helpers: durations, counts, rates, times. */

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${sec}s`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return String(Math.round(n));
}

export function formatRate(perSecond: number | undefined): string {
  return perSecond === undefined ? '–' : `${formatCount(perSecond)}/s`;
}

export function formatTime(epochMs: number | undefined): string {
  if (!epochMs || epochMs <= 0) return '–';
  const d = new Date(epochMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatMb(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}

/**
 * One log line made readable: pino's JSON (`{"level":30,"time":…,"msg":…}`) as
 * `time LEVEL name: msg {other fields}`; anything else as it is.
 */
export function formatLogLine(line: string): { text: string; level: string } {
  if (!line.startsWith('{')) return { text: line, level: 'info' };
  try {
    const {
      level,
      time,
      msg,
      name,
      pid: _pid,
      hostname: _host,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const levelName = LEVELS[Number(level)] ?? String(level);
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
    return {
      text: `${when} ${levelName.toUpperCase().padEnd(5)} ${String(name ?? '')}: ${String(msg ?? '')}${extra}`,
      level: levelName,
    };
  } catch {
    return { text: line, level: 'info' };
  }
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * An event-time watermark: '–' before the first one, 'end' for the final watermark that closes
 * bounded input, else a local time with milliseconds (event time is usually epoch ms) and a
 * bare number for small values that cannot be dates.
 */
export function formatWatermark(watermark: number | undefined): string {
  if (watermark === undefined || watermark === Number.NEGATIVE_INFINITY) return '–';
  if (watermark >= Number.MAX_SAFE_INTEGER || watermark === Number.POSITIVE_INFINITY) return 'end';
  if (watermark < 1e11) return String(watermark);
  return `${formatTime(watermark)}.${String(watermark % 1000).padStart(3, '0')}`;
}
