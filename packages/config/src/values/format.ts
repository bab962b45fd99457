/** Parsed values back into the text an operator writes (for `vmta show settings`). */
import type { ValueTypeMap, ValueTypeName } from './index.js';

const UNITS: Array<[string, number]> = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

export function formatInterval(ms: number): string {
  if (ms === 0) return '0';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return rest > 0 ? `${out}${rest}ms` : out;
}

function formatRateWindow(perMs: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (perMs % size === 0) return perMs === size ? unit : `${perMs / size}${unit}`;
  }
  return `${perMs / 1000}s`;
}

function formatSize(bytes: number): string {
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

function quoteIfNeeded(s: string): string {
  return s === '' || /[\s"#]/.test(s) ? JSON.stringify(s) : s;
}

export function formatValue<N extends ValueTypeName>(type: N, value: ValueTypeMap[N]): string {
  const v = value as unknown;
  switch (type) {
    case 'boolean':
      return v ? 'yes' : 'no';
    case 'dkim-sign':
      return typeof v === 'string' ? v : v ? 'yes' : 'no';
    case 'dkim-identity': {
      const id = v as ValueTypeMap['dkim-identity'];
      return id.kind === 'identity' ? id.identity : id.kind;
    }
    case 'dkim-headers':
      return (v as ValueTypeMap['dkim-headers']).map((h) => (h.kind === 'name' ? h.name : formatValue('regex', h.regex))).join(', ');
    case 'time-interval':
      return formatInterval(v as number);
    case 'time-interval-list':
      return (v as number[]).map(formatInterval).join(',');
    case 'size':
      return v === 'unlimited' ? 'unlimited' : formatSize(v as number);
    case 'rate': {
      if (v === 'unlimited') return 'unlimited';
      const r = v as { count: number; perMs: number };
      return r.count === 0 ? '0' : `${r.count}/${formatRateWindow(r.perMs)}`;
    }
    case 'host-list':
      return (v as ValueTypeMap['host-list'])
        .map((level) =>
          level
            .map((h) =>
              h.kind === 'lookup-mx' ? `lookup-mx:${h.domain}` : h.kind === 'ip' ? `[${h.ip}]${h.port ? `:${h.port}` : ''}` : `${h.host}${h.port ? `:${h.port}` : ''}`,
            )
            .join(', '),
        )
        .join('; ');
    case 'mx-rollup': {
      const m = v as ValueTypeMap['mx-rollup'];
      return `${m.wildcard ? '*.' : ''}${m.host} ${m.name}`;
    }
    case 'string':
    case 'text':
    case 'email':
    case 'hostname':
    case 'auth-method':
    case 'dkim-canon':
      return quoteIfNeeded(String(v));
    case 'integer':
    case 'port':
      return String(v);
    default:
      if (v && typeof v === 'object' && 'text' in v && typeof (v as { text: unknown }).text === 'string') return (v as { text: string }).text;
      if (v && typeof v === 'object' && 'source' in v && 'flags' in v) {
        const r = v as { source: string; flags: string };
        return `/${r.flags.includes('i') ? '' : '(?-i)'}${r.source}/`;
      }
      return JSON.stringify(v);
  }
}
