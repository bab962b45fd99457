/** Who may do what: client IP → access level by `http-access` (first match from the top wins, default none). */
import { cidrContains, type HttpAccess, type HttpAccessLevel } from '@vmta/config';

const RANK: Record<HttpAccessLevel, number> = { none: 0, monitor: 1, operator: 2, admin: 3 };

export function accessLevel(rules: readonly HttpAccess[], ip: string): HttpAccessLevel {
  return rules.find((r) => cidrContains(r.cidr, ip))?.level ?? 'none';
}

/** Whether `level` is at least `needed` (none < monitor < operator < admin). */
export function allows(level: HttpAccessLevel, needed: HttpAccessLevel): boolean {
  return RANK[level] >= RANK[needed];
}
