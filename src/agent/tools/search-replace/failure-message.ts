import { textToLines } from './lines.js';
import { closestMatch, closestWindow } from './similarity.js';

/**
 * Messages given back to the model when an edit does not apply, after Aider's: say which block
 * failed, show the real lines it probably meant, point out when the change is already there, and
 * say which blocks did apply so they are not sent twice.
 */

/** Lines of each section of a failed block echoed back: enough to recognise it without filling a small context. */
const echoedLines = 20;

export interface FailedBlock {
  /** 1-based position among the blocks sent. */
  readonly number: number;
  readonly path: string;
  readonly search: string;
  readonly replace: string;
  /** The file's content when the block was tried; undefined when it does not exist. */
  readonly content: string | undefined;
  /** Why an elided block could not be applied. */
  readonly detail?: string;
}

function fenced(lines: readonly string[]): string {
  return ['```', ...lines, '```'].join('\n');
}

function echo(text: string): string[] {
  const lines = textToLines(text);
  if (lines.length <= echoedLines) return lines;
  return [...lines.slice(0, echoedLines), `[... ${lines.length - echoedLines} more lines ...]`];
}

/** "Did you mean ..." with the closest lines of `content`, or nothing below a ratio of 0.6. */
export function didYouMean(path: string, wanted: string, content: string): string | undefined {
  const window = closestWindow(textToLines(wanted), textToLines(content));
  if (!window) return undefined;
  return `Did you mean to match some of these actual lines from ${path}?\n\n${fenced(window.lines)}`;
}

/** The model copied the `N: ` prefixes the read tool shows into its SEARCH or old_string. */
function hasLineNumbers(text: string): boolean {
  const lines = textToLines(text).filter((line) => line.trim() !== '');
  return lines.length > 0 && lines.every((line) => /^\s*\d+\s*[:|]\s/.test(line));
}

const lineNumberHint = 'The lines start with line numbers such as "12: ": those come from the read tool and are not in the file. Copy only the text after them.';

function alreadyThere(path: string, replace: string, content: string): boolean {
  const normalised = replace.replace(/\r\n/g, '\n');
  return normalised.trim() !== '' && content.replace(/\r\n/g, '\n').includes(normalised);
}

function missingFile(path: string, knownFiles: readonly string[]): string {
  const suggestion = closestMatch(path, knownFiles, 0.6);
  return [
    `${path} does not exist.${suggestion ? ` Did you mean ${suggestion}?` : ''}`,
    'To create a new file, leave the SEARCH section empty and put the whole content in REPLACE.',
  ].join(' ');
}

/** The error text for blocks that did not apply, `applied` other blocks having been written. */
export function blocksFailureMessage(failed: readonly FailedBlock[], applied: number, knownFiles: readonly string[]): string {
  const blocks = failed.length === 1 ? 'block' : 'blocks';
  const parts = [`# ${failed.length} SEARCH/REPLACE ${blocks} failed to match!`];
  for (const block of failed) {
    if (block.content === undefined) {
      parts.push(`## Block ${block.number}: ${missingFile(block.path, knownFiles)}`);
      continue;
    }
    const section = [
      `## Block ${block.number}: this SEARCH block failed to exactly match lines in ${block.path}`,
      ['<<<<<<< SEARCH', ...echo(block.search), '=======', ...echo(block.replace), '>>>>>>> REPLACE'].join('\n'),
    ];
    if (block.detail) section.push(block.detail);
    if (hasLineNumbers(block.search)) section.push(lineNumberHint);
    const suggestion = didYouMean(block.path, block.search, block.content);
    if (suggestion) section.push(suggestion);
    if (alreadyThere(block.path, block.replace, block.content)) {
      section.push(`Are you sure you need this SEARCH/REPLACE block?\nThe REPLACE lines are already in ${block.path}!`);
    }
    parts.push(section.join('\n\n'));
  }
  if (failed.some((block) => block.content !== undefined)) {
    parts.push('The SEARCH section must exactly match an existing block of lines including all white space, comments, indentation, docstrings, etc.');
  }
  if (applied > 0) {
    parts.push(
      applied === 1
        ? "The other 1 block was applied successfully. Don't re-send it."
        : `The other ${applied} blocks were applied successfully. Don't re-send them.`,
    );
  }
  parts.push(`Send fixed versions of only the ${blocks} above that failed.`);
  return parts.join('\n\n');
}

/** The error text for an old_string found nowhere, even with whitespace tolerated. */
export function stringFailureMessage(path: string, oldString: string, newString: string, content: string): string {
  const parts = [`old_string was not found in ${path}.`];
  if (hasLineNumbers(oldString)) parts.push(lineNumberHint);
  const suggestion = didYouMean(path, oldString, content);
  if (suggestion) parts.push(suggestion);
  if (alreadyThere(path, newString, content)) {
    parts.push(`Are you sure you need this edit?\nThe new_string is already in ${path}!`);
  }
  parts.push('old_string must match the file exactly, including white space and indentation: read the file again and copy the lines.');
  return parts.join('\n\n');
}

export function missingFileMessage(path: string, knownFiles: readonly string[]): string {
  const suggestion = closestMatch(path, knownFiles, 0.6);
  return `${path} does not exist.${suggestion ? ` Did you mean ${suggestion}?` : ''} Check the path, or set old_string to "" to create the file with new_string as its content.`;
}
