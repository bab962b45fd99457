import { ValueError } from './errors.js';

/**
 * Splits a directive value on whitespace. Double quotes group words (`"a b"` is one word) and are removed;
 * inside quotes `\"` is a quote and `\\` a backslash, any other backslash is kept as is. Outside quotes a
 * backslash is an ordinary character (so `/^5\d\d/` survives). `""` yields an empty word.
 */
export function tokenize(raw: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charAt(i);
    if (quoted) {
      if (ch === '\\' && (raw[i + 1] === '"' || raw[i + 1] === '\\')) {
        word += raw.charAt(i + 1);
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        word += ch;
      }
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quoted) throw new ValueError(`unterminated "quoted string" in: ${raw}`);
  if (inWord) words.push(word);
  return words;
}
