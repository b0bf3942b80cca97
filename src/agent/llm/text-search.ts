/**
 * Searches over one text that stay near-linear when asked again and again from advancing
 * positions, as the tool-call recovery does from every tag and bracket it meets.
 */

/**
 * indexOf whose answers are reused while the position has not passed them: searching again
 * from every tag of a text full of unclosed tags would be quadratic.
 */
export class TextSearch {
  private readonly searches = new Map<string, (from: number) => number>();

  constructor(readonly text: string) {}

  /** The first `needle` at or after `from`, or -1. */
  next(needle: string, from: number): number {
    let search = this.searches.get(needle);
    if (search === undefined) {
      search = cachedSearch((start) => this.text.indexOf(needle, start));
      this.searches.set(needle, search);
    }
    return search(from);
  }
}

/** indexOf limited to `within` characters. */
export function indexWithin(text: string, char: string, from: number, within: number): number {
  const end = Math.min(text.length, from + within);
  for (let index = from; index < end; index++) if (text[index] === char) return index;
  return -1;
}

/** A search whose answer is reused while the position has not passed it. */
export function cachedSearch(search: (from: number) => number): (from: number) => number {
  let cachedFrom = -1;
  let cached = -1;
  return (from) => {
    if (cachedFrom !== -1 && cachedFrom <= from && (cached === -1 || cached >= from)) return cached;
    cachedFrom = from;
    cached = search(from);
    return cached;
  };
}

/** The first position at or after `from` that is not JSON whitespace (space, tab, CR, LF). */
export function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length && isWhitespace(text[index])) index++;
  return index;
}

/** The whitespace JSON allows between tokens: space, tab, CR, LF. */
export function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\n' || char === '\t' || char === '\r';
}
