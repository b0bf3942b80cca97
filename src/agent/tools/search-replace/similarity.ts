/**
 * Sequence similarity as Python's `difflib.SequenceMatcher.ratio()` defines it, which Aider uses to
 * recover file names and to suggest the lines a failed SEARCH probably meant.
 *
 * Definition: M is the number of elements in the matching blocks found by taking the longest
 * common contiguous run, then recursing on the parts to its left and to its right; T is the total
 * number of elements in both sequences; ratio = 2M / T (1 when both are empty). It is 1 for
 * identical sequences and 0 when nothing is shared. The matching blocks are not always the longest
 * common subsequence, which is why this is not an edit distance.
 *
 * Unlike difflib, no element is ever treated as junk: difflib's `autojunk` heuristic only applies
 * to sequences of 200 elements or more, so results agree with difflib below that size.
 */

/** Prepared second sequence, so one word can be compared with many candidates cheaply. */
export class SequenceMatcher<T> {
  private readonly b: readonly T[];
  private readonly indexes = new Map<T, number[]>();
  /** Scratch rows for longestMatch, all zeros between calls. */
  private readonly rows: [Int32Array, Int32Array];

  constructor(b: readonly T[]) {
    this.b = b;
    this.rows = [new Int32Array(b.length + 1), new Int32Array(b.length + 1)];
    b.forEach((element, index) => {
      const list = this.indexes.get(element);
      if (list) list.push(index);
      else this.indexes.set(element, [index]);
    });
  }

  /** Elements of `a` and `b` in matching blocks (difflib's sum of `get_matching_blocks()` sizes). */
  matches(a: readonly T[]): number {
    let total = 0;
    const queue: Array<[number, number, number, number]> = [[0, a.length, 0, this.b.length]];
    for (let range = queue.pop(); range; range = queue.pop()) {
      const [aLow, aHigh, bLow, bHigh] = range;
      const [i, j, size] = this.longestMatch(a, aLow, aHigh, bLow, bHigh);
      if (size === 0) continue;
      total += size;
      if (aLow < i && bLow < j) queue.push([aLow, i, bLow, j]);
      if (i + size < aHigh && j + size < bHigh) queue.push([i + size, aHigh, j + size, bHigh]);
    }
    return total;
  }

  /** difflib's `ratio()` with `a` as the first sequence and the prepared one as the second. */
  ratio(a: readonly T[]): number {
    const length = a.length + this.b.length;
    return length === 0 ? 1 : (2 * this.matches(a)) / length;
  }

  /** The earliest longest run `a[i, i+size) == b[j, j+size)` inside the given ranges. */
  private longestMatch(a: readonly T[], aLow: number, aHigh: number, bLow: number, bHigh: number): [number, number, number] {
    let bestI = aLow;
    let bestJ = bLow;
    let bestSize = 0;
    // difflib keeps a dict j -> length of the run ending at b[j] for the previous element of `a`;
    // two reused arrays (indexed j + 1) and the list of entries set do the same without allocating.
    let [previous, current] = this.rows;
    let previousSet: number[] = [];
    let currentSet: number[] = [];
    for (let i = aLow; i < aHigh; i++) {
      for (const j of this.indexes.get(a[i] as T) ?? []) {
        if (j < bLow) continue;
        if (j >= bHigh) break;
        const size = (previous[j] as number) + 1;
        current[j + 1] = size;
        currentSet.push(j + 1);
        if (size > bestSize) {
          bestI = i - size + 1;
          bestJ = j - size + 1;
          bestSize = size;
        }
      }
      for (const index of previousSet) previous[index] = 0;
      [previous, current] = [current, previous];
      [previousSet, currentSet] = [currentSet, previousSet];
      currentSet.length = 0;
    }
    for (const index of previousSet) previous[index] = 0;
    return [bestI, bestJ, bestSize];
  }
}

/** `SequenceMatcher(None, a, b).ratio()` for two strings (compared by code point) or two arrays. */
export function similarityRatio(a: string, b: string): number;
export function similarityRatio<T>(a: readonly T[], b: readonly T[]): number;
export function similarityRatio(a: string | readonly unknown[], b: string | readonly unknown[]): number {
  const first = typeof a === 'string' ? Array.from(a) : a;
  const second = typeof b === 'string' ? Array.from(b) : b;
  return new SequenceMatcher(second).ratio(first);
}

/**
 * The candidate most similar to `word` with a ratio of at least `cutoff` (difflib's
 * `get_close_matches(word, candidates, n=1, cutoff)`), or undefined. Ties keep the first
 * candidate, or give undefined with `unique` (two files equally close are no answer).
 */
export function closestMatch(word: string, candidates: readonly string[], cutoff = 0.8, options: { unique?: boolean } = {}): string | undefined {
  const matcher = new SequenceMatcher(Array.from(word));
  const wordLength = Array.from(word).length;
  let best: string | undefined;
  let bestRatio = cutoff;
  let tied = false;
  for (const candidate of candidates) {
    const characters = Array.from(candidate);
    // difflib's real_quick_ratio: an upper bound from the lengths alone skips most candidates.
    const total = characters.length + wordLength;
    if (total === 0 || (2 * Math.min(characters.length, wordLength)) / total < bestRatio) continue;
    const ratio = matcher.ratio(characters);
    if (ratio > bestRatio || (ratio === bestRatio && best === undefined)) {
      best = candidate;
      bestRatio = ratio;
      tied = false;
    } else if (ratio === bestRatio) {
      tied = true;
    }
  }
  return options.unique && tied ? undefined : best;
}

export interface ClosestWindow {
  /** Index of the first line shown (0-based). */
  readonly start: number;
  /** The file's lines to show, context included. */
  readonly lines: readonly string[];
  /** Similarity of the best window to the searched lines. */
  readonly ratio: number;
}

/** Lines shown around a window whose first or last line differs from the searched ones. */
const contextLines = 5;

/** Line pairs compared character by character at most (about a quarter of a second). */
const maxCharacterPairs = 20_000;
/** Characters of a line compared character by character (minified files have huge lines). */
const maxComparedLength = 200;

/**
 * Aider's `find_similar_lines`: the window of `contentLines` (as many lines as `searchLines`) most
 * similar to `searchLines`; undefined below `threshold`. When the window's first and last lines
 * are the searched ones it is shown alone, otherwise with five lines of context each side.
 *
 * A window's similarity is Aider's: the ratio above over the sequences of lines, each line one
 * element, so a line counts only when equal but an inserted or missing line costs little. When no
 * window reaches the threshold that way (a one-line SEARCH with a typo never does), a second score
 * is tried: the mean, over the searched lines, of each one's character ratio with the line in the
 * same position of the window; it is skipped when that would compare too many line pairs.
 * Lines are compared with their surrounding whitespace trimmed (Aider compares them as they are):
 * small models most often get indentation wrong, and the suggestion should still find the place,
 * showing the real lines with their real indentation.
 */
export function closestWindow(searchLines: readonly string[], contentLines: readonly string[], threshold = 0.6): ClosestWindow | undefined {
  const search = searchLines.map((line) => line.trim());
  if (search.length === 0 || contentLines.length === 0) return undefined;
  const content = contentLines.map((line) => line.trim());
  const size = Math.min(search.length, content.length);
  const windows = content.length - size + 1;

  let bestRatio = 0;
  let bestStart = -1;
  const consider = (start: number, ratio: number) => {
    if (ratio > bestRatio) {
      bestRatio = ratio;
      bestStart = start;
    }
  };
  const lineMatcher = new SequenceMatcher(search);
  for (let start = 0; start < windows; start++) consider(start, lineMatcher.ratio(content.slice(start, start + size)));

  if (bestRatio < threshold && size * windows <= maxCharacterPairs) {
    const matchers = search.map((line) => new SequenceMatcher(Array.from(line.slice(0, maxComparedLength))));
    const characters = content.map((line) => Array.from(line.slice(0, maxComparedLength)));
    for (let start = 0; start < windows; start++) {
      let sum = 0;
      for (let offset = 0; offset < size; offset++) sum += matchers[offset]?.ratio(characters[start + offset] ?? []) ?? 0;
      consider(start, sum / search.length);
    }
  }
  if (bestStart < 0 || bestRatio < threshold) return undefined;
  const end = bestStart + size;
  if (content[bestStart] === search[0] && content[end - 1] === search[search.length - 1]) {
    return { start: bestStart, lines: contentLines.slice(bestStart, end), ratio: bestRatio };
  }
  const shownStart = Math.max(0, bestStart - contextLines);
  const shownEnd = Math.min(contentLines.length, end + contextLines);
  return { start: shownStart, lines: contentLines.slice(shownStart, shownEnd), ratio: bestRatio };
}
