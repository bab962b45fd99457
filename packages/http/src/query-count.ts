/**
 * One rule for every count in a query string (`?limit=`, `?minutes=`, `?wait=`): absent or empty gives the
 * default; a whole number written in digits is brought into min..max (a monitor that asks for more than is kept
 * gets what is kept); anything else (a sign, a fraction, an exponent, a word, the parameter twice) throws a
 * QueryCountError naming the parameter and its range, which the router answers 400. Pure.
 */
import { QueryCountError } from './errors.js';

export interface CountRule {
  min: number;
  max: number;
  /** When the parameter is absent or empty; without one, absent gives undefined. */
  default?: number;
}

export function queryCount(query: URLSearchParams, name: string, rule: CountRule & { default: number }): number;
export function queryCount(query: URLSearchParams, name: string, rule: CountRule): number | undefined;
export function queryCount(query: URLSearchParams, name: string, rule: CountRule): number | undefined {
  const all = query.getAll(name);
  const range = `${name}: a whole number from ${rule.min} to ${rule.max}`;
  if (all.length > 1) throw new QueryCountError(`${range}, given once (got ${all.length} values)`);
  const raw = all[0];
  if (raw === undefined || raw === '') return rule.default;
  if (!/^\d+$/.test(raw)) throw new QueryCountError(`${range} (got ${JSON.stringify(raw.slice(0, 40))})`);
  return Math.min(rule.max, Math.max(rule.min, Number(raw)));
}
