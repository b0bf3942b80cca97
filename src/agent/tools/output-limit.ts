import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where full outputs are kept inside a workspace; the folder ignores itself in git. Not `.wfhub`:
 * that is the default name of wfhub's own data dir, which commands must never see.
 */
export const outputFolder = '.wfhub-outputs';

export interface CappedText {
  readonly text: string;
  readonly truncated: boolean;
  /** Characters left out of the middle. */
  readonly omitted: number;
}

/**
 * Keeps the head and the tail of a long text with a note of how much was left out between them:
 * the start of a command's output says what ran, the end says how it ended.
 */
export function capText(text: string, maxChars: number, note = ''): CappedText {
  if (text.length <= maxChars) return { text, truncated: false, omitted: 0 };
  const head = Math.floor(maxChars / 2);
  const tail = maxChars - head;
  const omitted = text.length - head - tail;
  const marker = `\n\n[... ${omitted} characters omitted${note ? `; ${note}` : ''} ...]\n\n`;
  return { text: text.slice(0, head) + marker + text.slice(text.length - tail), truncated: true, omitted };
}

/** Creates a new file without ever following a symlink at its name; `false` when it exists. */
async function createExclusive(file: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Saves a full output inside the workspace so the model can read or grep it, and returns its
 * workspace-relative path. The folder holds a `.gitignore` of `*`, so git never sees it.
 *
 * This runs in wfhub's own process, outside any sandbox, on a folder a command could have
 * replaced: a symlink there would make wfhub write wherever it points. So the folder must be a
 * real folder whose real path is where it should be, and files are created new, never through a
 * link.
 */
export async function saveFullOutput(root: string, name: string, text: string): Promise<string> {
  const folder = path.join(root, outputFolder);
  await mkdir(folder, { recursive: true });
  const information = await lstat(folder);
  if (!information.isDirectory() || (await realpath(folder)) !== folder) {
    throw new Error(`${outputFolder} in the workspace is not a plain folder (a symlink?), so the full output was not saved`);
  }
  await createExclusive(path.join(folder, '.gitignore'), '*\n');
  for (;;) {
    const file = `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.txt`;
    if (await createExclusive(path.join(folder, file), text)) return `${outputFolder}/${file}`;
  }
}
