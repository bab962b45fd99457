/** Value types that are one word of a closed list (a mode), matched without regard to case. */
import { fail, singleWord } from './common.js';
import type { ValueType, ValueTypeName } from './value-type.js';

export function closedWordType<const W extends string>(name: ValueTypeName, words: readonly W[]): ValueType<W> {
  const expected = `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
  return {
    name,
    expected,
    parse(raw, tokens) {
      const word = singleWord(name, expected, raw, tokens).toLowerCase();
      const found = words.find((w) => w === word);
      if (found === undefined) throw fail(name, expected, raw);
      return found;
    },
    schema: { type: 'string', enum: [...words] },
  };
}
