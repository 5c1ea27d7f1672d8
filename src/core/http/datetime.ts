// Date arithmetic and formatting for the $timestamp / $datetime / $localDatetime system variables.
// No dependency: offsets behave like dayjs/moment `add` (months clamp to the end of the month), formats
// cover the dayjs tokens people use in .http files.

export type OffsetUnit = 'y' | 'Q' | 'M' | 'w' | 'd' | 'h' | 'm' | 's' | 'ms';

export const OFFSET_UNITS: ReadonlySet<string> = new Set<OffsetUnit>(['y', 'Q', 'M', 'w', 'd', 'h', 'm', 's', 'ms']);

export interface DateOffset {
  amount: number;
  unit: OffsetUnit;
}

const FIXED_MS: Partial<Record<OffsetUnit, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** `ms` moved by `offset`; calendar units (y, Q, M, w, d) in UTC or local time. */
export function applyOffset(ms: number, offset: DateOffset | undefined, local: boolean): number {
  if (!offset || offset.amount === 0) return ms;
  const fixed = FIXED_MS[offset.unit];
  if (fixed !== undefined) return ms + offset.amount * fixed;
  const d = new Date(ms);
  if (offset.unit === 'd' || offset.unit === 'w') {
    const days = offset.amount * (offset.unit === 'w' ? 7 : 1);
    if (local) d.setDate(d.getDate() + days);
    else d.setUTCDate(d.getUTCDate() + days);
    return d.getTime();
  }
  const months = offset.amount * (offset.unit === 'y' ? 12 : offset.unit === 'Q' ? 3 : 1);
  const year = local ? d.getFullYear() : d.getUTCFullYear();
  const month = local ? d.getMonth() : d.getUTCMonth();
  const day = local ? d.getDate() : d.getUTCDate();
  const total = year * 12 + month + months;
  const ty = Math.floor(total / 12);
  const tm = total - ty * 12;
  const lastDay = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
  const td = Math.min(day, lastDay);
  if (local) d.setFullYear(ty, tm, td);
  else d.setUTCFullYear(ty, tm, td);
  return d.getTime();
}

export type DateFormat = 'iso8601' | 'rfc1123' | { custom: string };

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function pad(n: number, width: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? '-' : '') + (s.length >= width ? s : '0'.repeat(width - s.length) + s);
}

interface Fields {
  Y: number;
  M: number;
  D: number;
  d: number;
  H: number;
  m: number;
  s: number;
  ms: number;
  offsetMin: number;
}

function fields(ms: number, local: boolean): Fields {
  const t = new Date(ms);
  return local
    ? {
        Y: t.getFullYear(),
        M: t.getMonth(),
        D: t.getDate(),
        d: t.getDay(),
        H: t.getHours(),
        m: t.getMinutes(),
        s: t.getSeconds(),
        ms: t.getMilliseconds(),
        offsetMin: -t.getTimezoneOffset(),
      }
    : {
        Y: t.getUTCFullYear(),
        M: t.getUTCMonth(),
        D: t.getUTCDate(),
        d: t.getUTCDay(),
        H: t.getUTCHours(),
        m: t.getUTCMinutes(),
        s: t.getUTCSeconds(),
        ms: t.getUTCMilliseconds(),
        offsetMin: 0,
      };
}

function zone(offsetMin: number, colon: boolean): string {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${sign}${pad(Math.floor(a / 60), 2)}${colon ? ':' : ''}${pad(a % 60, 2)}`;
}

// Alternatives only, no nested quantifiers: linear on any input.
const TOKEN = /\[([^\]]*)\]|YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|SSS|ZZ|Z|A|a|X|x/g;

function formatCustom(ms: number, format: string, local: boolean): string {
  const f = fields(ms, local);
  return format.replace(TOKEN, (tok: string, escaped: string | undefined) => {
    if (escaped !== undefined) return escaped;
    switch (tok) {
      case 'YYYY':
        return pad(f.Y, 4);
      case 'YY':
        return pad(f.Y % 100, 2);
      case 'MMMM':
        return MONTHS[f.M];
      case 'MMM':
        return MONTHS[f.M].slice(0, 3);
      case 'MM':
        return pad(f.M + 1, 2);
      case 'M':
        return String(f.M + 1);
      case 'DD':
        return pad(f.D, 2);
      case 'D':
        return String(f.D);
      case 'dddd':
        return DAYS[f.d];
      case 'ddd':
        return DAYS[f.d].slice(0, 3);
      case 'dd':
        return DAYS[f.d].slice(0, 2);
      case 'd':
        return String(f.d);
      case 'HH':
        return pad(f.H, 2);
      case 'H':
        return String(f.H);
      case 'hh':
        return pad(f.H % 12 || 12, 2);
      case 'h':
        return String(f.H % 12 || 12);
      case 'mm':
        return pad(f.m, 2);
      case 'm':
        return String(f.m);
      case 'ss':
        return pad(f.s, 2);
      case 's':
        return String(f.s);
      case 'SSS':
        return pad(f.ms, 3);
      case 'ZZ':
        return zone(f.offsetMin, false);
      case 'Z':
        return zone(f.offsetMin, true);
      case 'A':
        return f.H < 12 ? 'AM' : 'PM';
      case 'a':
        return f.H < 12 ? 'am' : 'pm';
      case 'X':
        return String(Math.floor(ms / 1000));
      case 'x':
        return String(ms);
      default:
        return tok;
    }
  });
}

/**
 * `iso8601`: UTC → `2024-01-02T03:04:05.678Z` (Date#toISOString, as REST Client); local → `2024-01-02T04:04:05+01:00`.
 * `rfc1123`: UTC → `Tue, 02 Jan 2024 03:04:05 GMT`; local → `Tue, 02 Jan 2024 04:04:05 +0100`.
 */
export function formatDate(ms: number, format: DateFormat, local: boolean): string {
  if (format === 'iso8601') return local ? formatCustom(ms, 'YYYY-MM-DD[T]HH:mm:ssZ', true) : new Date(ms).toISOString();
  if (format === 'rfc1123') return local ? formatCustom(ms, 'ddd, DD MMM YYYY HH:mm:ss ZZ', true) : new Date(ms).toUTCString();
  return formatCustom(ms, format.custom, local);
}
