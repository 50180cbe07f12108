import { describe, expect, it } from 'vitest';
import { parseOutputs } from '../../src/cli/job-outputs.js';

describe('the $PLAN_OUTPUT format', () => {
  it('reads key=value (the value up to the line end, = included) and key<<DELIMITER blocks; a later key wins', () => {
    const text = [
      'url=https://example.test/?a=1&b=2',
      'notes<<EOF',
      'one',
      'x=not a key',
      '',
      'EOF',
      'empty=',
      'url=second\r',
      '',
    ].join('\n');
    expect({ ...parseOutputs(text) }).toEqual({
      url: 'second',
      notes: 'one\nx=not a key\n',
      empty: '',
    });
  });

  it('names the line of a malformed entry, a bad key or a block never closed', () => {
    expect(() => parseOutputs('ok=1\nno equals sign')).toThrow(
      '$PLAN_OUTPUT line 2: expected key=value, or key<<DELIMITER for a value of several lines',
    );
    expect(() => parseOutputs('1st=x')).toThrow('$PLAN_OUTPUT line 1: "1st" is not an output name');
    expect(() => parseOutputs('a=1\nlog<<END\nline')).toThrow(
      '$PLAN_OUTPUT line 2: "log<<END" has no closing line "END"',
    );
  });

  it('keeps a key such as __proto__ as data, never as the prototype', () => {
    const outputs = parseOutputs('__proto__=x\nconstructor=y');
    expect(Object.keys(outputs)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(outputs)).toBe(null);
  });
});
