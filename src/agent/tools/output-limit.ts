import { mkdir, writeFile } from 'node:fs/promises';
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

/**
 * Saves a full output inside the workspace so the model can read or grep it, and returns its
 * workspace-relative path. The folder holds a `.gitignore` of `*`, so git never sees it.
 */
export async function saveFullOutput(root: string, name: string, text: string): Promise<string> {
  const folder = path.join(root, outputFolder);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, '.gitignore'), '*\n');
  const file = `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}.txt`;
  await writeFile(path.join(folder, file), text);
  return `${outputFolder}/${file}`;
}
