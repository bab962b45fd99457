/**
 * For tests only: the config text most delivery tests start from: one VMTA, mta1 (source 127.0.0.2,
 * EHLO name mta1.example.test), and `<domain *>` with the lines given (as written, indent included).
 */
export interface Mta1ConfigParts {
  /** Lines inside `<domain *>`: smtp-hosts and the rest. */
  domain: readonly string[];
  /** More lines inside `<virtual-mta mta1>`. */
  vmta?: readonly string[];
  /** Top-level lines before everything (host-name, ...). */
  top?: readonly string[];
  /** An `<acct-file>`, so that outcomes are written to the accounting stream (tests read it). */
  accounting?: boolean;
}

export function mta1ConfigText(parts: Mta1ConfigParts): string {
  return [
    ...(parts.top ?? []),
    ...(parts.accounting ? ['<acct-file acct.csv>', '</acct-file>'] : []),
    '<virtual-mta mta1>',
    '  smtp-source-host 127.0.0.2 mta1.example.test',
    ...(parts.vmta ?? []),
    '</virtual-mta>',
    '<domain *>',
    ...parts.domain,
    '</domain>',
  ].join('\n');
}
