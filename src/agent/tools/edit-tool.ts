import { z } from 'zod';
import { applyBlock } from './search-replace/apply-block.js';
import { blocksFailureMessage, missingFileMessage, stringFailureMessage, type FailedBlock } from './search-replace/failure-message.js';
import {
  isWorkspaceFile,
  listWorkspaceFiles,
  readEditableFile,
  resolveEditablePath,
  writeFileAtomically,
  type EditableFile,
} from './search-replace/file-access.js';
import { countLines, pluralLines } from './search-replace/lines.js';
import { BlockParseError, blockFormat, parseBlocks, type EditBlock } from './search-replace/parse-blocks.js';
import { replaceString, type StringStrategy } from './search-replace/replace-string.js';
import { defineTool, ToolError, type ToolContext, type ToolResult } from './tool.js';
import type { WorkspacePath } from './workspace-path.js';

const description = `Edits text files in the workspace. Read a file before editing it. Two ways:
1. One replacement: give \`path\`, \`old_string\` (the exact text to change, copied from the file with enough surrounding lines to be unique) and \`new_string\` (the text to put instead). Set \`replace_all\` to true to change every occurrence. An empty \`old_string\` creates a new file containing \`new_string\`.
2. Several changes: give \`blocks\`, one or more SEARCH/REPLACE blocks, even for several files:
src/app.ts
<<<<<<< SEARCH
exact lines from the file
=======
the new lines
>>>>>>> REPLACE
An empty SEARCH section creates the file, or adds the REPLACE lines at its end.
Never copy the "N: " line numbers of the read tool into old_string or SEARCH. Files inside .git cannot be edited.`;

const parameters = z
  .object({
    path: z.string().optional().describe('File to edit, relative to the workspace root, e.g. "src/app.ts". Required with old_string and new_string.'),
    old_string: z.string().optional().describe('The exact text to replace, copied from the file, including indentation. Empty to create a new file.'),
    new_string: z.string().optional().describe('The text that replaces old_string.'),
    replace_all: z.boolean().optional().describe('Replace every occurrence of old_string, not just one. Default false.'),
    blocks: z.string().optional().describe('Instead of old_string and new_string: SEARCH/REPLACE blocks, each after its file path on its own line.'),
  })
  .superRefine((input, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    if (input.blocks !== undefined) {
      if (input.old_string !== undefined || input.new_string !== undefined) {
        problem('blocks', 'give either blocks, or old_string and new_string, not both');
      } else if (input.blocks.trim() === '') {
        problem('blocks', 'is empty; give SEARCH/REPLACE blocks');
      }
      return;
    }
    if (input.path === undefined || input.path.trim() === '') problem('path', 'required: the file to edit, e.g. "src/app.ts" (or give blocks instead)');
    if (input.old_string === undefined) problem('old_string', 'required: the exact text to replace ("" to create a new file)');
    if (input.new_string === undefined) problem('new_string', 'required: the text that replaces old_string');
    if (input.old_string !== undefined && input.old_string === input.new_string) {
      problem('new_string', 'is the same as old_string, so nothing would change; give the text after your change');
    }
  });

type EditInput = z.output<typeof parameters>;

const strategyNotes: Record<Exclude<StringStrategy, 'exact'>, string> = {
  'line-trimmed': ' old_string matched once spaces at the start and end of its lines were ignored.',
  'indentation-flexible': ' old_string matched once the indentation of its lines was ignored.',
  'whitespace-normalised': ' old_string matched once runs of white space were treated as one space.',
};

function editSummary(relative: string, removed: number, added: number): string {
  return `Edited ${relative}: replaced ${pluralLines(removed)} with ${pluralLines(added)}.`;
}

async function replaceOne(input: EditInput, context: ToolContext): Promise<ToolResult> {
  const { old_string: oldString = '', new_string: newString = '' } = input;
  const target = await resolveEditablePath(context.root, input.path ?? '');
  const file = await readEditableFile(target);

  if (oldString === '') {
    if (file && file.content !== '') {
      throw new ToolError(
        'file_exists',
        `${target.relative} already exists and is not empty. To change it, set old_string to the exact text to replace (read the file first); to add lines at its end, use its last lines as old_string.`,
        { path: target.relative },
      );
    }
    await writeFileAtomically(context.root, target, newString, file);
    const lines = countLines(newString);
    return {
      output: `${file ? 'Wrote' : 'Created'} ${target.relative} (${pluralLines(lines)}).`,
      filesChanged: [target.relative],
      metadata: { path: target.relative, created: !file, addedLines: lines },
    };
  }
  if (!file) {
    throw new ToolError('not_found', missingFileMessage(target.relative, await listWorkspaceFiles(context.root)), { path: target.relative });
  }

  const outcome = replaceString(file.content, oldString, newString, input.replace_all ?? false);
  if (!outcome.ok && outcome.reason === 'multiple_matches') {
    throw new ToolError(
      'multiple_matches',
      `Found ${outcome.count} matches of old_string in ${target.relative}; provide more surrounding lines to make it unique, or set replace_all to true to change every one.`,
      { path: target.relative, matches: outcome.count },
    );
  }
  if (!outcome.ok) {
    throw new ToolError('no_match', stringFailureMessage(target.relative, oldString, newString, file.content), { path: target.relative });
  }
  context.signal.throwIfAborted();
  if (outcome.content !== file.content) await writeFileAtomically(context.root, target, outcome.content, file);
  const summary =
    outcome.occurrences > 1
      ? `Edited ${target.relative}: replaced ${outcome.occurrences} occurrences (${pluralLines(outcome.removedLines)} with ${pluralLines(outcome.addedLines)}).`
      : editSummary(target.relative, outcome.removedLines, outcome.addedLines);
  return {
    output: summary + (outcome.strategy === 'exact' ? '' : strategyNotes[outcome.strategy]),
    filesChanged: outcome.content === file.content ? [] : [target.relative],
    metadata: { path: target.relative, strategy: outcome.strategy, occurrences: outcome.occurrences, removedLines: outcome.removedLines, addedLines: outcome.addedLines },
  };
}

interface OpenFile {
  readonly target: WorkspacePath;
  readonly original: EditableFile | undefined;
  /** Current content, blocks applied so far included; undefined while the file does not exist. */
  content: string | undefined;
}

async function applyBlocks(input: EditInput, context: ToolContext): Promise<ToolResult> {
  const knownFiles = await listWorkspaceFiles(context.root);
  let blocks: EditBlock[];
  try {
    blocks = parseBlocks(input.blocks ?? '', {
      knownFiles,
      isFile: (candidate) => isWorkspaceFile(context.root, candidate),
      ...(input.path !== undefined && input.path.trim() !== '' && { defaultPath: input.path }),
    });
  } catch (error) {
    if (error instanceof BlockParseError) throw new ToolError('invalid_arguments', error.message);
    throw error;
  }
  if (blocks.length === 0) {
    throw new ToolError('invalid_arguments', `No SEARCH/REPLACE block was found in blocks.\n${blockFormat}`);
  }

  // Every path is checked before anything is written: a refused path applies nothing.
  const targets = await Promise.all(blocks.map((block) => resolveEditablePath(context.root, block.path)));
  const files = new Map<string, OpenFile>();
  for (const target of targets) {
    if (!files.has(target.absolute)) {
      const original = await readEditableFile(target);
      files.set(target.absolute, { target, original, content: original?.content });
    }
  }

  const summaries: string[] = [];
  const failed: FailedBlock[] = [];
  blocks.forEach((block, index) => {
    const file = files.get((targets[index] as WorkspacePath).absolute) as OpenFile;
    const relative = file.target.relative;
    const outcome = applyBlock(file.content, block.search, block.replace);
    if (!outcome.ok) {
      failed.push({ number: index + 1, path: relative, search: block.search, replace: block.replace, content: file.content, ...(outcome.detail && { detail: outcome.detail }) });
      return;
    }
    file.content = outcome.content;
    if (outcome.strategy === 'create') summaries.push(`Created ${relative} (${pluralLines(outcome.addedLines)}).`);
    else if (outcome.strategy === 'append') summaries.push(`Appended ${pluralLines(outcome.addedLines)} to ${relative}.`);
    else summaries.push(editSummary(relative, outcome.removedLines, outcome.addedLines) + (outcome.strategy === 'exact' ? '' : blockNotes[outcome.strategy]));
  });

  context.signal.throwIfAborted();
  const filesChanged: string[] = [];
  for (const file of files.values()) {
    if (file.content === undefined || file.content === file.original?.content) continue;
    await writeFileAtomically(context.root, file.target, file.content, file.original);
    filesChanged.push(file.target.relative);
  }

  const applied = blocks.length - failed.length;
  if (failed.length > 0) {
    const code = failed.every((block) => block.content === undefined) ? 'not_found' : 'no_match';
    throw new ToolError(code, blocksFailureMessage(failed, applied, knownFiles), {
      filesChanged,
      appliedBlocks: applied,
      failedBlocks: failed.map((block) => block.number),
    });
  }
  return {
    output: summaries.join('\n'),
    filesChanged,
    metadata: { blocks: blocks.length, files: filesChanged.length },
  };
}

const blockNotes = {
  indentation: ' (SEARCH matched at another indentation; REPLACE was indented the same way.)',
  'leading-blank-line': ' (SEARCH matched without its first, blank line.)',
  elision: ' (SEARCH matched part by part around its `...` lines.)',
} as const;

/**
 * `edit`: exact string replacement (`path`, `old_string`, `new_string`, `replace_all`) in the
 * style of opencode and Claude Code, or Aider's SEARCH/REPLACE blocks (`blocks`), which small
 * models write more reliably than JSON-escaped code and which can touch several files at once.
 * The parameters are one flat object with optional fields rather than a union: a flat JSON Schema
 * is what small models follow best, and the rules between fields are checked (with messages the
 * model can act on) after.
 */
export const editTool = defineTool('edit', {
  description,
  brief: 'Edits a file: replace old_string (exact text from the file) with new_string; or give blocks of SEARCH/REPLACE.',
  parameters,
  execute(input, context) {
    return input.blocks !== undefined ? applyBlocks(input, context) : replaceOne(input, context);
  },
});
