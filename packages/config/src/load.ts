/** Loading a configuration: read → build → validate. Throws ConfigError listing every error. */
import { buildConfig } from './build.js';
import { checkDkim } from './dkim-keys.js';
import { ConfigError, type Diagnostic } from './errors.js';
import { mergeListeners } from './listeners.js';
import type { VmtaConfig } from './model.js';
import { readConfigFile, readConfigText, type ReadResult } from './reader.js';
import { validateReferences, validateSchema } from './validate.js';

export interface CheckResult {
  config?: VmtaConfig;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

function finish(read: ReadResult, file: string): CheckResult {
  const diagnostics = [...read.diagnostics];
  const { config, diagnostics: built } = buildConfig(read.events, file, read.files);
  diagnostics.push(...built);
  config.listeners = mergeListeners(config);
  diagnostics.push(...validateSchema(config), ...validateReferences(config));
  if (!diagnostics.some((d) => d.severity === 'error')) diagnostics.push(...checkDkim(config));
  const fileOrder = new Map<string, number>();
  for (const ev of read.events) if (!fileOrder.has(ev.origin.file)) fileOrder.set(ev.origin.file, fileOrder.size);
  const rank = (f: string) => fileOrder.get(f) ?? -1;
  const sorted = diagnostics.sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line);
  const errors = sorted.filter((d) => d.severity === 'error');
  const warnings = sorted.filter((d) => d.severity === 'warning');
  config.warnings = warnings;
  return errors.length > 0 ? { errors, warnings } : { config, errors, warnings };
}

/** Checks a file without throwing: the configuration when valid, and every diagnostic. */
export function checkConfigFile(file: string): CheckResult {
  return finish(readConfigFile(file), file);
}

export function checkConfigText(text: string, displayName = 'vmta.conf', baseDir?: string): CheckResult {
  return finish(readConfigText(text, displayName, baseDir), displayName);
}

function orThrow(result: CheckResult): VmtaConfig {
  if (!result.config) throw new ConfigError(result.errors, result.warnings);
  return result.config;
}

export function loadConfigFile(file: string): VmtaConfig {
  return orThrow(checkConfigFile(file));
}

export function loadConfigText(text: string, displayName = 'vmta.conf', baseDir?: string): VmtaConfig {
  return orThrow(checkConfigText(text, displayName, baseDir));
}
