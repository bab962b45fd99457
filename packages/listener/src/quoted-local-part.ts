/**
 * RFC 5321 §4.1.2 allows a Quoted-string local part (`"john smith"@example.com`, `"a@b"@example.com`).
 * smtp-server 3.21 splits the MAIL FROM / RCPT TO argument on whitespace and the address on "@", so such
 * a path got 501. Before its parser sees the line, the quoted local part is swapped for a plain stand-in
 * (so its checks of the domain and the parameters run as usual), and put back into the address it returns.
 * The quoted form is kept byte for byte: it goes on to the queue, the next hop, DSNs and accounting.
 */

/**
 * `MAIL FROM:<` / `RCPT TO:<`, an optional source route, then a Quoted-string (qtextSMTP or a
 * quoted-pair; UTF-8 as RFC 6531 allows) followed by "@".
 */
const QUOTED_PATH = /^([^:<]*:\s*<(?:@[^:<>\s]+:)?)("(?:[\x20\x21\x23-\x5b\x5d-\x7e\u{80}-\u{10ffff}]|\\[\x20-\x7e])*")@/u;

/** A dot-atom that smtp-server accepts as a local part; nobody sends it quoted-free by accident. */
const STAND_IN = 'vmta.quoted.local.part';

export interface MaskedLine {
  /** The command line with the stand-in instead of the quoted local part. */
  line: string;
  /** The quoted local part, quotes included. */
  local: string;
}

/** `MAIL FROM:` / `RCPT TO:` followed by an address without its angle brackets (`MAIL FROM:a@b.example`). */
const BARE_PATH = /^([^:<]*:[ \t]*)([^<>\s"]+@[^<>\s]+)(?=\s|$)/;

/**
 * The path in angle brackets when the client left them out, as Postfix (strict_rfc821_envelopes = no),
 * Exim and Sendmail take it: old devices and scripts send `MAIL FROM:user@example.com`. Only a whole
 * address (local part, "@", domain) is taken; anything else stays as it is (and gets 501).
 */
export function bracketBarePath(line: string): string {
  const m = BARE_PATH.exec(line);
  if (!m) return line;
  return `${m[1]!}<${m[2]!}>${line.slice(m[0].length)}`;
}

/** The line with its quoted local part replaced; undefined when the path has none. */
export function maskQuotedLocalPart(line: string): MaskedLine | undefined {
  const m = QUOTED_PATH.exec(line);
  if (!m) return undefined;
  const head = m[1]!;
  const local = m[2]!;
  return { line: head + STAND_IN + line.slice(head.length + local.length), local };
}

/** The parsed address with the quoted local part back; undefined when it is not the stand-in's. */
export function unmaskAddress(address: string, local: string): string | undefined {
  if (!address.startsWith(`${STAND_IN}@`)) return undefined;
  return local + address.slice(STAND_IN.length);
}
