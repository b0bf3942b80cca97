import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBlock } from '../../../src/agent/tools/search-replace/apply-block.js';
import { blocksFailureMessage } from '../../../src/agent/tools/search-replace/failure-message.js';
import { BlockParseError, parseBlocks, type ParseBlocksOptions } from '../../../src/agent/tools/search-replace/parse-blocks.js';
import { replaceString } from '../../../src/agent/tools/search-replace/replace-string.js';
import { closestMatch, closestWindow, similarityRatio } from '../../../src/agent/tools/search-replace/similarity.js';

const known: ParseBlocksOptions = { knownFiles: ['src/app.py', 'src/util/helper.ts', 'README.md', 'tools/build.py'] };

function block(search: string, replace: string): string {
  return `<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE`;
}

function applied(content: string | undefined, search: string, replace: string) {
  const outcome = applyBlock(content, search, replace);
  if (!outcome.ok) throw new Error(`expected the block to apply, got ${outcome.reason}`);
  return outcome;
}

describe('similarityRatio', () => {
  it('follows difflib SequenceMatcher.ratio', () => {
    // Values printed by Python's difflib.SequenceMatcher(None, a, b).ratio().
    expect(similarityRatio('abcd', 'bcde')).toBeCloseTo(0.75, 12);
    expect(similarityRatio('src/utils/helper.ts', 'src/util/helper.ts')).toBeCloseTo(36 / 37, 12);
    expect(similarityRatio('', '')).toBe(1);
    expect(similarityRatio('abc', '')).toBe(0);
    expect(similarityRatio(['a', 'b', 'c'], ['a', 'x', 'c'])).toBeCloseTo(2 / 3, 12);
  });

  it('finds the closest candidate above the cutoff, or none', () => {
    expect(closestMatch('src/utils/helper.ts', ['README.md', 'src/util/helper.ts'])).toBe('src/util/helper.ts');
    expect(closestMatch('main.go', ['README.md', 'src/util/helper.ts'])).toBeUndefined();
  });

  it('shows the closest window alone when its ends match, with context otherwise', () => {
    const content = Array.from({ length: 30 }, (_, index) => `line ${index}`);
    expect(closestWindow(['line 10', 'line eleven', 'line 12'], content)?.lines).toEqual(['line 10', 'line 11', 'line 12']);
    const window = closestWindow(['line ten', 'line 11', 'line 12'], content);
    expect(window?.lines).toEqual(content.slice(5, 18));
    expect(closestWindow(['nothing', 'alike', 'here'], content)).toBeUndefined();
  });
});

describe('parseBlocks', () => {
  it('reads the file name on the line before the block', () => {
    expect(parseBlocks(`src/app.py\n${block('a\n', 'b\n')}`, known)).toEqual([{ path: 'src/app.py', search: 'a\n', replace: 'b\n' }]);
  });

  it('finds the name before or after the opening fence', () => {
    const before = parseBlocks(`src/app.py\n\`\`\`python\n${block('a\n', 'b\n')}\n\`\`\``, known);
    const after = parseBlocks(`\`\`\`python\nsrc/app.py\n${block('a\n', 'b\n')}\n\`\`\``, known);
    const deepseek = parseBlocks(`src/app.py\n\`\`\`\n\`\`\`python\n${block('a\n', 'b\n')}`, known);
    expect([before[0]?.path, after[0]?.path, deepseek[0]?.path]).toEqual(['src/app.py', 'src/app.py', 'src/app.py']);
  });

  it('strips #, ** and backticks around the name, and a trailing colon', () => {
    for (const line of ['# src/app.py', '**src/app.py**', '`src/app.py`', 'src/app.py:', '### **`src/app.py`**:', 'Change `src/app.py`:']) {
      expect(parseBlocks(`${line}\n${block('a\n', 'b\n')}`, known)[0]?.path, line).toBe('src/app.py');
    }
  });

  it('takes a name written after the opening fence', () => {
    expect(parseBlocks(`\`\`\`src/app.py\n${block('a\n', 'b\n')}`, known)[0]?.path).toBe('src/app.py');
  });

  it('matches markers of 5 to 9 characters on the trimmed line', () => {
    const text = 'src/app.py\n  <<<<< SEARCH\na\n =========  \nb\n>>>>>>>>> REPLACE \n';
    expect(parseBlocks(text, known)).toEqual([{ path: 'src/app.py', search: 'a\n', replace: 'b\n' }]);
  });

  it('reuses the previous block name when a block has none', () => {
    const text = `src/app.py\n\`\`\`\n${block('a\n', 'b\n')}\n\`\`\`\n\n\`\`\`\n${block('c\n', 'd\n')}\n\`\`\``;
    expect(parseBlocks(text, known).map((parsed) => parsed.path)).toEqual(['src/app.py', 'src/app.py']);
  });

  it('ignores ... as a name', () => {
    const text = `src/app.py\n${block('a\n', 'b\n')}\n...\n${block('c\n', 'd\n')}`;
    expect(parseBlocks(text, known).map((parsed) => parsed.path)).toEqual(['src/app.py', 'src/app.py']);
  });

  it('refuses a first block with no name', () => {
    expect(() => parseBlocks(`\`\`\`\n${block('a\n', 'b\n')}`, known)).toThrow(/^Bad\/missing filename in SEARCH\/REPLACE block 1/);
    expect(() => parseBlocks(`Here is the change:\n${block('a\n', 'b\n')}`, known)).toThrow(BlockParseError);
  });

  it('recovers a bare file name by its basename, and a misspelt one by similarity', () => {
    expect(parseBlocks(`helper.ts\n${block('a\n', 'b\n')}`, known)[0]?.path).toBe('src/util/helper.ts');
    expect(parseBlocks(`util/helper.ts\n${block('a\n', 'b\n')}`, known)[0]?.path).toBe('src/util/helper.ts');
    expect(parseBlocks(`src/utils/helper.ts\n${block('a\n', 'b\n')}`, known)[0]?.path).toBe('src/util/helper.ts');
  });

  it('prefers the exact existing name, then keeps an unknown name with a dot', () => {
    const options = { knownFiles: ['a/app.py', 'app.py'] };
    expect(parseBlocks(`app.py\n${block('a\n', 'b\n')}`, options)[0]?.path).toBe('app.py');
    expect(parseBlocks(`./src/new.py\n${block('a\n', 'b\n')}`, known)[0]?.path).toBe('src/new.py');
  });

  it('does not pick one of several files sharing a basename', () => {
    const options = { knownFiles: ['a/index.ts', 'b/index.ts'] };
    expect(parseBlocks(`index.ts\n${block('a\n', 'b\n')}`, options)[0]?.path).toBe('index.ts');
  });

  it('never matches the name of a new file to an existing file', () => {
    expect(parseBlocks(`src/utils/helper.ts\n${block('', 'new\n')}`, known)[0]?.path).toBe('src/utils/helper.ts');
    expect(parseBlocks(`helper.ts\n${block('', 'new\n')}`, known)[0]?.path).toBe('helper.ts');
    expect(parseBlocks(`Makefile\n${block('', 'all:\n')}`, known)[0]?.path).toBe('Makefile');
  });

  it('uses isFile for files the listing left out', () => {
    const options = { knownFiles: ['src/index.ts'], isFile: (path: string) => path === 'dist/index.ts' };
    expect(parseBlocks(`dist/index.ts\n${block('a\n', 'b\n')}`, options)[0]?.path).toBe('dist/index.ts');
  });

  it('names the block and what is expected when a divider or the end marker is missing', () => {
    expect(() => parseBlocks('src/app.py\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n', known)).toThrow(
      /SEARCH\/REPLACE block 1 \(src\/app\.py\) is malformed: expected a line `=======` after the SEARCH lines, but found `>>>>>>> REPLACE` first/,
    );
    expect(() => parseBlocks(`src/app.py\n${block('a\n', 'b\n')}\nsrc/app.py\n<<<<<<< SEARCH\na\n=======\nb\n`, known)).toThrow(
      /block 2 \(src\/app\.py\) is malformed: expected a line `>>>>>>> REPLACE` after the REPLACE lines, but the text ended first/,
    );
  });

  it('accepts CRLF text and several files', () => {
    const text = `src/app.py\r\n${block('a\n', 'b\n')}\r\nREADME.md\r\n${block('', '# Title\n')}`.replace(/\n/g, '\r\n');
    expect(parseBlocks(text, known)).toEqual([
      { path: 'src/app.py', search: 'a\n', replace: 'b\n' },
      { path: 'README.md', search: '', replace: '# Title\n' },
    ]);
  });

  it('returns no blocks for text without markers', () => {
    expect(parseBlocks('just some text', known)).toEqual([]);
  });
});

describe('applyBlock', () => {
  const file = 'def a():\n    return 1\n\ndef b():\n    return 2\n';

  it('replaces the exact lines', () => {
    const outcome = applied(file, '    return 1\n', '    return 10\n    # ten\n');
    expect(outcome).toMatchObject({ strategy: 'exact', removedLines: 1, addedLines: 2 });
    expect(outcome.content).toBe('def a():\n    return 10\n    # ten\n\ndef b():\n    return 2\n');
  });

  it('replaces only the first occurrence', () => {
    expect(applied('x = 1\ny = 2\nx = 1\n', 'x = 1\n', 'x = 3\n').content).toBe('x = 3\ny = 2\nx = 1\n');
  });

  it('matches lines missing a uniform indent and re-indents the replacement', () => {
    const outcome = applied(file, 'return 2\n', 'if True:\n    return 3\n');
    expect(outcome.strategy).toBe('indentation');
    expect(outcome.content).toBe('def a():\n    return 1\n\ndef b():\n    if True:\n        return 3\n');
  });

  it('matches lines with too much uniform indent', () => {
    const outcome = applied(file, '        def b():\n            return 2\n', '        def b():\n            return 20\n');
    expect(outcome.content).toBe('def a():\n    return 1\n\ndef b():\n    return 20\n');
  });

  it('does not accept a non-uniform indentation difference', () => {
    expect(applyBlock(file, 'def b():\nreturn 2\n', 'def b():\nreturn 3\n')).toEqual({ ok: false, reason: 'no_match' });
  });

  it('drops a spurious leading blank line of SEARCH', () => {
    const outcome = applied('a\nb\nc\n', '\nb\nc\n', '\nB\nC\n');
    expect(outcome.strategy).toBe('leading-blank-line');
    expect(outcome.content).toBe('a\nB\nC\n');
  });

  it('applies parts elided with ... when each is unique', () => {
    const content = 'function f() {\n  one();\n  two();\n  three();\n  return 1;\n}\n';
    const outcome = applied(content, 'function f() {\n...\n  return 1;\n', 'function g() {\n...\n  return 2;\n');
    expect(outcome.strategy).toBe('elision');
    expect(outcome.content).toBe('function g() {\n  one();\n  two();\n  three();\n  return 2;\n}\n');
  });

  it('refuses an elided part that matches twice, and unpaired ...', () => {
    const content = 'x = 1\nx = 1\ny = 2\n';
    const twice = applyBlock(content, 'x = 1\n...\ny = 2\n', 'x = 5\n...\ny = 6\n');
    expect(twice).toMatchObject({ ok: false, reason: 'no_match', detail: expect.stringContaining('matches 2 places') });
    const unpaired = applyBlock(content, 'x = 1\n...\ny = 2\n', 'x = 5\ny = 6\n');
    expect(unpaired).toMatchObject({ ok: false, detail: expect.stringContaining('must pair up') });
    expect(unpaired.ok).toBe(false);
  });

  it('never replaces a merely similar block', () => {
    expect(applyBlock(file, 'def b():\n    return 3\n', 'x\n')).toEqual({ ok: false, reason: 'no_match' });
  });

  it('creates a missing file from an empty SEARCH, and appends to an existing one', () => {
    expect(applied(undefined, '', 'hello\nworld\n')).toMatchObject({ content: 'hello\nworld\n', strategy: 'create', addedLines: 2 });
    expect(applied('first', '', 'second\n')).toMatchObject({ content: 'first\nsecond\n', strategy: 'append' });
    expect(applied('first\r\n', '\n', 'second\n').content).toBe('first\r\nsecond\r\n');
  });

  it('reports a missing file for a non-empty SEARCH', () => {
    expect(applyBlock(undefined, 'a\n', 'b\n')).toEqual({ ok: false, reason: 'missing_file' });
  });

  it('keeps CRLF line endings, and the absence of a final newline', () => {
    expect(applied('one\r\ntwo\r\nthree\r\n', 'two\n', 'TWO\nand more\n').content).toBe('one\r\nTWO\r\nand more\r\nthree\r\n');
    expect(applied('one\ntwo', 'two\n', 'TWO\nTHREE\n').content).toBe('one\nTWO\nTHREE');
    expect(applied('one\ntwo', 'two\n', '').content).toBe('one');
    expect(applied('one\r\ntwo\r\n', 'one\r\n', 'ONE\r\n').content).toBe('ONE\r\ntwo\r\n');
  });

  it('keeps the endings of untouched lines in a mixed file', () => {
    expect(applied('a\r\nb\nc\r\n', 'b\n', 'B\n').content).toBe('a\r\nB\nc\r\n');
  });

  it('equals a plain string replace when SEARCH is a unique slice of whole lines', () => {
    const line = fc.stringMatching(/^[a-z =();]{0,12}$/);
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), fc.nat(), fc.nat(), fc.array(line, { maxLength: 4 }), (lines, first, length, replacement) => {
        const start = first % lines.length;
        const end = start + 1 + (length % (lines.length - start));
        const content = lines.map((text) => `${text}\n`).join('');
        const search = lines.slice(start, end).map((text) => `${text}\n`).join('');
        fc.pre(search.trim() !== '' && content.indexOf(search) === content.lastIndexOf(search));
        // A unique slice of whole lines: its first occurrence as a string is at a line start.
        fc.pre(content.indexOf(search) === lines.slice(0, start).join('\n').length + (start > 0 ? 1 : 0));
        const replace = replacement.map((text) => `${text}\n`).join('');
        const outcome = applyBlock(content, search, replace);
        expect(outcome.ok && outcome.content).toBe(content.replace(search, () => replace));
      }),
      { numRuns: 300 },
    );
  });
});

describe('replaceString', () => {
  it('matches lines that differ only in surrounding white space when that is unique', () => {
    const outcome = replaceString('if (x) {\n    go();  \n}\n', 'go();\n', 'stop();\n');
    expect(outcome).toMatchObject({ ok: true, strategy: 'line-trimmed', content: 'if (x) {\n    stop();\n}\n' });
  });

  it('uses indentation-flexible matching when trimmed lines are ambiguous', () => {
    const content = 'a:\n  b\n    c\nd:\n  b\n  c\n';
    const outcome = replaceString(content, '    b\n      c\n', '    b\n      e\n');
    expect(outcome).toMatchObject({ ok: true, strategy: 'indentation-flexible', content: 'a:\n  b\n    e\nd:\n  b\n  c\n' });
  });

  it('matches with runs of white space normalised', () => {
    const outcome = replaceString('const x =   compute(a,  b);\n', 'x = compute(a, b);', 'x = compute(b, a);');
    expect(outcome).toMatchObject({ ok: true, strategy: 'whitespace-normalised', content: 'const x = compute(b, a);\n' });
  });

  it('refuses tolerant matches that are not unique', () => {
    expect(replaceString('  go();\n    go();\n', 'go(); \n', 'stop();\n')).toEqual({ ok: false, reason: 'no_match' });
  });

  it('equals a plain string replace when old_string occurs exactly once', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.nat(), fc.nat(), fc.string({ maxLength: 10 }), (content, first, length, replacement) => {
        fc.pre(!content.includes('\r'));
        const start = first % (content.length + 1);
        const oldString = content.slice(start, start + 1 + (length % 8));
        fc.pre(oldString !== '' && content.indexOf(oldString) === content.lastIndexOf(oldString));
        const outcome = replaceString(content, oldString, replacement.replace(/\r/g, ''));
        expect(outcome.ok && outcome.content).toBe(content.replace(oldString, () => replacement.replace(/\r/g, '')));
      }),
      { numRuns: 300 },
    );
  });

  it('counts exact matches and converts line endings to the file’s', () => {
    expect(replaceString('a\nb\na\n', 'a', 'c')).toEqual({ ok: false, reason: 'multiple_matches', count: 2 });
    expect(replaceString('one\r\ntwo\r\n', 'one\ntwo', '1\n2')).toMatchObject({ ok: true, content: '1\r\n2\r\n' });
  });
});

describe('blocksFailureMessage', () => {
  const content = 'def greet(name):\n    print("hello", name)\n    return name\n';

  it('suggests the actual lines, notices REPLACE already applied, and counts blocks that applied', () => {
    const message = blocksFailureMessage(
      [
        {
          number: 3,
          path: 'src/app.py',
          search: 'def greet(name):\n    print("hi", name)\n    return name\n',
          replace: '    print("hello", name)\n',
          content,
        },
      ],
      2,
      [],
    );
    expect(message).toContain('# 1 SEARCH/REPLACE block failed to match!');
    expect(message).toContain('## Block 3: this SEARCH block failed to exactly match lines in src/app.py');
    expect(message).toContain(`Did you mean to match some of these actual lines from src/app.py?\n\n\`\`\`\n${content}\`\`\``);
    expect(message).toContain('The REPLACE lines are already in src/app.py!');
    expect(message).toContain("The other 2 blocks were applied successfully. Don't re-send them.");
  });

  it('points out line numbers copied from the read tool and a missing file', () => {
    const message = blocksFailureMessage(
      [
        { number: 1, path: 'src/app.py', search: '1: def greet(name):\n2:     return name\n', replace: 'x\n', content },
        { number: 2, path: 'src/ap.py', search: 'x\n', replace: 'y\n', content: undefined },
      ],
      1,
      ['src/app.py'],
    );
    expect(message).toContain('line numbers such as "12: "');
    expect(message).toContain('src/ap.py does not exist. Did you mean src/app.py?');
    expect(message).toContain("The other 1 block was applied successfully. Don't re-send it.");
  });
});
