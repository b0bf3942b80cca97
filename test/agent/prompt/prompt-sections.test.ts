import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitSections, type PromptSection } from '../../../src/agent/prompt/prompt-sections.js';

const measure = (text: string) => Math.ceil(text.length / 4);

const sections: PromptSection[] = [
  { id: 'project', title: 'Project', body: 'Name: Shop\nWorkspace: shop\nEnvironment: a lot of facts '.repeat(5), shorter: ['Name: Shop'], priority: 60 },
  { id: 'objective', title: '', body: '# Task: Add a total\nShow the sum.', required: true, priority: 100 },
  { id: 'criteria', title: 'Acceptance criteria', body: '- [ ] The total is shown', required: true, priority: 100 },
  { id: 'comments', title: 'Comments', body: 'ana: a long comment '.repeat(40), shorter: ['ana: short'], priority: 50 },
  { id: 'files', title: 'Files', body: '- a.ts\n'.repeat(100), priority: 30 },
];

describe('fitting prompt sections to a budget', () => {
  it('keeps everything when it fits, in the order given', () => {
    const fitted = fitSections(sections, 10_000, measure);
    expect(fitted.sections.every((section) => section.state === 'kept')).toBe(true);
    expect(fitted.text.indexOf('Name: Shop')).toBeLessThan(fitted.text.indexOf('# Task'));
    expect(fitted.text.indexOf('# Task')).toBeLessThan(fitted.text.indexOf('## Files'));
  });

  it('gives up the least useful first: files before comments before the project', () => {
    const states = (budget: number) => Object.fromEntries(fitSections(sections, budget, measure).sections.map((section) => [section.id, section.state]));
    const total = fitSections(sections, 10_000, measure).tokens;
    const filesTokens = fitSections(sections, 10_000, measure).sections.find((section) => section.id === 'files')!.tokens;
    expect(states(total - 1).files).toBe('dropped');
    expect(states(total - 1).comments).toBe('kept');
    expect(states(total - filesTokens - 1)).toMatchObject({ files: 'dropped', comments: 'shortened', project: 'kept' });
    expect(states(40)).toMatchObject({ files: 'dropped', comments: 'dropped', objective: 'kept', criteria: 'kept' });
  });

  it('never drops a required section, and cuts the longest one, saying so, when they alone are too long', () => {
    const long: PromptSection[] = [
      { id: 'objective', title: '', body: `# Task: Rewrite\n${'detail '.repeat(2000)}`, required: true, prose: true, priority: 100 },
      { id: 'criteria', title: 'Acceptance criteria', body: '- [ ] It works', required: true, priority: 100 },
      { id: 'git', title: 'Git', body: 'Branch: main', priority: 40 },
    ];
    const fitted = fitSections(long, 500, measure);
    expect(fitted.tokens).toBeLessThanOrEqual(500);
    expect(fitted.text).toContain('# Task: Rewrite');
    expect(fitted.text).toContain('- [ ] It works');
    expect(fitted.text).toContain('detail detail');
    expect(fitted.text).toContain('the rest cut to fit');
    expect(fitted.sections.map((section) => section.state)).toEqual(['shortened', 'kept', 'dropped']);
  });

  it('lets required sections take more than the budget, up to the limit, and cuts them by whole lines past it', () => {
    const criteria = Array.from({ length: 60 }, (_, index) => `- [ ] Criterion ${index + 1}: the endpoint returns the right status for case ${index + 1}`).join('\n');
    const all: PromptSection[] = [
      { id: 'objective', title: '', body: '# Task: Harden the API', required: true, priority: 100 },
      { id: 'criteria', title: 'Acceptance criteria', body: criteria, required: true, priority: 100 },
      { id: 'files', title: 'Files', body: '- a.ts\n'.repeat(50), priority: 30 },
    ];
    const roomy = fitSections(all, { budget: 500, limit: 2000 }, measure);
    expect(roomy.sections.map((section) => section.state)).toEqual(['kept', 'kept', 'dropped']);
    expect(roomy.tokens).toBeGreaterThan(500);
    expect(roomy.tokens).toBeLessThanOrEqual(2000);

    const tight = fitSections(all, { budget: 300, limit: 600 }, measure);
    expect(tight.tokens).toBeLessThanOrEqual(600);
    expect(tight.text).toContain('# Task: Harden the API');
    expect(tight.text).toContain('- [ ] Criterion 1: the endpoint returns the right status for case 1\n');
    expect(tight.text).toMatch(/\[\.\.\. \d+ more lines cut to fit/);
    // Every criterion shown is shown whole.
    for (const line of tight.text.split('\n').filter((entry) => entry.startsWith('- [ ]'))) expect(line).toMatch(/case \d+$/);
  });

  it('keeps the beginning of a long one-paragraph description rather than only the title', () => {
    const paragraph = Array.from({ length: 300 }, (_, index) => `word${index}`).join(' ');
    const long: PromptSection[] = [
      { id: 'objective', title: '', body: `# Task: Migrate the billing module\n\n${paragraph}`, required: true, prose: true, priority: 100 },
      { id: 'criteria', title: 'Acceptance criteria', body: '- [ ] It works', required: true, priority: 100 },
    ];
    const fitted = fitSections(long, 300, measure);
    expect(fitted.tokens).toBeLessThanOrEqual(300);
    expect(fitted.text).toContain('# Task: Migrate the billing module');
    expect(fitted.text).toContain('word0 word1 word2');
    expect(fitted.text).not.toContain('word299');
    expect(fitted.text).toMatch(/word\d+ \.\.\.\n\[\.\.\. the rest cut to fit/);
    expect(fitted.text).toContain('- [ ] It works');
  });

  it('never cuts a long criterion (or its check command) in the middle', () => {
    const criteria = Array.from({ length: 30 }, (_, index) => `- [ ] Criterion ${index + 1}: ${'the export keeps every column '.repeat(7)}(checked by: npx vitest run test/export.test.ts -t case${index + 1})`).join('\n');
    for (const budget of [200, 400, 800, 1600, 2500]) {
      const fitted = fitSections([{ id: 'criteria', title: 'Acceptance criteria', body: criteria, required: true, priority: 100 }], budget, measure);
      for (const line of fitted.text.split('\n').filter((entry) => entry.startsWith('- [ ]'))) expect(line).toMatch(/-t case\d+\)$/);
    }
  });

  it('cuts several long required sections until they fit, keeping the first line of each', () => {
    const long = (id: string, first: string) => ({ id, title: '', body: `${first}\n${'a long line of detail\n'.repeat(400)}`, required: true, priority: 100 });
    const fitted = fitSections([long('objective', '# Task: One'), long('criteria', '- [ ] Two'), long('instructions', 'Three')], { budget: 300, limit: 600 }, measure);
    expect(fitted.tokens).toBeLessThanOrEqual(600);
    for (const first of ['# Task: One', '- [ ] Two', 'Three']) expect(fitted.text).toContain(first);
  });

  it('fits any mix of sections into any budget the required ones leave room for', () => {
    const section = fc.record({
      body: fc.string({ minLength: 1, maxLength: 3000 }),
      priority: fc.integer({ min: 0, max: 90 }),
      shorter: fc.array(fc.string({ minLength: 1, maxLength: 200 }), { maxLength: 2 }),
    });
    // The description: empty, short lines, or long paragraphs that must be cut inside.
    const description = fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ minLength: 241, maxLength: 4000 })), { maxLength: 6 }).map((lines) => lines.join('\n'));
    fc.assert(
      fc.property(fc.array(section, { maxLength: 8 }), description, fc.integer({ min: 60, max: 3000 }), (optional, description, budget) => {
        const all: PromptSection[] = [
          { id: 'objective', title: '', body: `# Task: T\n${description}`, required: true, prose: true, priority: 100 },
          ...optional.map((entry, index) => ({ id: `s${index}`, title: `S${index}`, ...entry })),
        ];
        const fitted = fitSections(all, budget, measure);
        expect(fitted.tokens).toBeLessThanOrEqual(budget);
        expect(fitted.text).toContain('# Task: T');
        expect(fitted.tokens).toBe(fitSections(all, budget, measure).tokens);
      }),
    );
  });
});
