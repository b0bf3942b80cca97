/**
 * Text as lines that remember their own line ending, so an edit rewrites only the lines it
 * touches: a CRLF file stays CRLF, a file without a final newline stays without one, and the
 * untouched lines of a mixed file keep theirs.
 */
export interface TextLines {
  /** Each line without its ending. */
  readonly lines: string[];
  /** Each line's ending: `\n`, `\r\n`, or `` for a last line with no newline. */
  readonly endings: string[];
}

export function splitLines(text: string): TextLines {
  const lines: string[] = [];
  const endings: string[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) {
      lines.push(text.slice(start));
      endings.push('');
      break;
    }
    const crlf = newline > start && text[newline - 1] === '\r';
    lines.push(text.slice(start, crlf ? newline - 1 : newline));
    endings.push(crlf ? '\r\n' : '\n');
    start = newline + 1;
  }
  return { lines, endings };
}

export function joinLines({ lines, endings }: TextLines): string {
  let text = '';
  lines.forEach((line, index) => {
    text += line + (endings[index] ?? '');
  });
  return text;
}

/** The ending most lines use (`\n` on a tie or for a text with no newline). */
export function dominantEnding(text: string): '\n' | '\r\n' {
  let crlf = 0;
  let lf = 0;
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) {
    if (index > 0 && text[index - 1] === '\r') crlf++;
    else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** Lines of a text written by the model: endings normalised, the empty piece after a final newline dropped. */
export function textToLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Number of lines a text spans (a final newline does not start another line). */
export function countLines(text: string): number {
  return textToLines(text).length;
}

export function leadingWhitespace(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

export function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** `N line(s)` for messages. */
export function pluralLines(count: number): string {
  return `${count} line${count === 1 ? '' : 's'}`;
}
