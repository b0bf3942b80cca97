import { oneLine } from './one-line.js';

/** A part of the task message: what to do, how it is checked, and what helps. */
export interface PromptSection {
  /** A stable name, listed in a prompt preview with what became of the section. */
  readonly id: string;
  /** The heading (`## Title`); empty for none. */
  readonly title: string;
  readonly body: string;
  /** Never dropped: the objective, the acceptance criteria, what the user asked for this run. */
  readonly required?: boolean;
  /** Sections with a lower priority are shortened or dropped first. */
  readonly priority: number;
  /** Shorter forms of the body, longest first, tried before the section is dropped. */
  readonly shorter?: readonly string[];
  /**
   * Prose (a description, a message): when a required section must be cut, a long paragraph may
   * be cut inside, keeping its beginning. Otherwise (criteria, commands) lines are kept whole.
   */
  readonly prose?: boolean;
}

/** What became of a section in the prompt. */
export interface SectionReport {
  id: string;
  state: 'kept' | 'shortened' | 'dropped';
  /** Its estimated tokens in the prompt (0 when dropped). */
  tokens: number;
}

export interface FittedSections {
  text: string;
  tokens: number;
  sections: SectionReport[];
}

function render(section: PromptSection, body: string): string {
  return section.title ? `## ${section.title}\n${body}` : body;
}

/** Every section whole, in order: the task message for an agent that fits its own window. */
export function wholeSections(sections: readonly PromptSection[]): string {
  return sections
    .filter((section) => section.body.trim() !== '')
    .map((section) => render(section, section.body))
    .join('\n\n');
}

/** Lines of prose longer than this are paragraphs: cut inside when they do not fit whole. */
const paragraphChars = 240;

/**
 * The body cut to about `keepChars`: its first line always (a task's title), then whole lines
 * while they fit (a criterion is never cut in the middle), then, in prose, if the next line is a
 * long paragraph, its beginning, saying how much was left out.
 */
function cut(body: string, keepChars: number, prose: boolean): string {
  if (body.length <= keepChars) return body;
  const lines = body.split('\n');
  let kept = lines[0]!;
  const firstMax = Math.max(80, keepChars);
  if (kept.length > firstMax) kept = oneLine(kept, firstMax);
  let index = 1;
  while (index < lines.length && kept.length + 1 + lines[index]!.length <= keepChars) kept += `\n${lines[index++]}`;
  // Skip blank lines, then keep the start of the first line that did not fit whole.
  let next = index;
  while (next < lines.length && lines[next]!.trim() === '') next++;
  const room = keepChars - kept.length - (next - index) - 1 - 4;
  let partial = false;
  if (prose && next < lines.length && lines[next]!.length > paragraphChars && room >= 60) {
    kept += `${'\n'.repeat(next - index)}\n${oneLine(lines[next]!, room)}`;
    index = next + 1;
    partial = true;
  }
  const left = lines.length - index;
  const what = left > 0 ? `${partial ? 'the rest of this line and ' : ''}${left} more line${left === 1 ? '' : 's'}` : 'the rest';
  return `${kept}\n[... ${what} cut to fit the model's context window ...]`;
}

export interface FitLimits {
  /** What the sections should take: optional ones are shortened or dropped to stay under it. */
  budget: number;
  /**
   * What required sections may take if they alone exceed `budget` (room the run would rather
   * keep for its work); past it they are cut too. Defaults to `budget`.
   */
  limit?: number;
}

/**
 * Fits sections to a token budget (as `measure` counts them). While they do not fit, the section
 * with the lowest priority that can give something gives it: its next shorter form, or its place.
 * Required sections are never dropped: they may grow past the budget up to the limit, and past
 * that the longest is cut (the first line kept, then whole lines and the start of the next, saying so) until they fit. Sections keep
 * the order they were given in.
 */
export function fitSections(sections: readonly PromptSection[], limits: FitLimits | number, measure: (text: string) => number): FittedSections {
  const { budget, limit: hard = budget } = typeof limits === 'number' ? { budget: limits } : limits;
  const limit = Math.max(budget, hard);
  /** For each section: 0 its body, i its shorter form i - 1, -1 dropped. */
  const form = sections.map(() => 0);
  const cuts = new Map<number, string>();
  const bodyOf = (index: number): string | undefined => {
    if (form[index] === -1) return undefined;
    if (cuts.has(index)) return cuts.get(index);
    const section = sections[index]!;
    return form[index] === 0 ? section.body : section.shorter![form[index]! - 1];
  };
  const sizes = sections.map((section, index) => measure(render(section, bodyOf(index)!)) + 1);
  const resize = (index: number) => {
    const body = bodyOf(index);
    sizes[index] = body === undefined ? 0 : measure(render(sections[index]!, body)) + 1;
  };
  let total = sizes.reduce((sum, size) => sum + size, 0);

  while (total > budget) {
    let chosen = -1;
    for (let index = 0; index < sections.length; index++) {
      const section = sections[index]!;
      if (form[index] === -1 || section.required) continue;
      if (chosen === -1 || section.priority < sections[chosen]!.priority) chosen = index;
    }
    if (chosen === -1) break;
    const section = sections[chosen]!;
    form[chosen] = form[chosen]! < (section.shorter?.length ?? 0) ? form[chosen]! + 1 : -1;
    total -= sizes[chosen]!;
    resize(chosen);
    total += sizes[chosen]!;
  }

  // Only required sections are left, and they are longer than the limit: cut the longest, again
  // and again, never below its first line.
  for (let round = 0; total > limit && round < 4 * sections.length; round++) {
    let longest = -1;
    for (let index = 0; index < sections.length; index++) {
      if (form[index] !== -1 && (longest === -1 || sizes[index]! > sizes[longest]!)) longest = index;
    }
    if (longest === -1) break;
    const body = bodyOf(longest)!;
    const ratio = body.length / Math.max(1, sizes[longest]!);
    const keep = Math.max(0, body.length - Math.ceil((total - limit + 40) * ratio));
    const shorter = cut(body, keep, sections[longest]!.prose === true);
    if (shorter.length >= body.length) break;
    cuts.set(longest, shorter);
    total -= sizes[longest]!;
    resize(longest);
    total += sizes[longest]!;
  }

  const parts: string[] = [];
  const reports: SectionReport[] = [];
  sections.forEach((section, index) => {
    const body = bodyOf(index);
    if (body === undefined) {
      reports.push({ id: section.id, state: 'dropped', tokens: 0 });
      return;
    }
    parts.push(render(section, body));
    reports.push({ id: section.id, state: form[index] === 0 && !cuts.has(index) ? 'kept' : 'shortened', tokens: sizes[index]! });
  });
  return { text: parts.join('\n\n'), tokens: total, sections: reports };
}
