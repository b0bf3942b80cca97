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

/** Kept whole for the reader; what was cut says where to read the rest. */
function cut(body: string, keepChars: number): string {
  if (body.length <= keepChars) return body;
  const kept = body.slice(0, Math.max(0, keepChars)).replace(/\s+\S*$/, '');
  return `${kept}\n[... ${body.length - kept.length} characters cut to fit the model's context window ...]`;
}

/**
 * Fits sections into `budget` tokens (as `measure` counts them). While they do not fit, the
 * section with the lowest priority that can give something gives it: its next shorter form, or
 * its place. Required sections are never dropped; if they alone do not fit, the longest of them
 * is cut, saying so. Sections keep the order they were given in.
 */
export function fitSections(sections: readonly PromptSection[], budget: number, measure: (text: string) => number): FittedSections {
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

  if (total > budget) {
    // Only required sections are left, and they are too long: cut the longest one.
    let longest = -1;
    for (let index = 0; index < sections.length; index++) {
      if (form[index] !== -1 && (longest === -1 || sizes[index]! > sizes[longest]!)) longest = index;
    }
    if (longest !== -1) {
      const body = bodyOf(longest)!;
      const excess = total - budget;
      const ratio = body.length / Math.max(1, sizes[longest]!);
      cuts.set(longest, cut(body, body.length - Math.ceil((excess + 30) * ratio)));
      total -= sizes[longest]!;
      resize(longest);
      total += sizes[longest]!;
    }
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
