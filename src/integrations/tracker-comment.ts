import { runCommentAuthor } from '../context/task-prompt.js';

/** Below every tracker's limit on a comment (Jira's is 32,767 characters). */
export const trackerCommentLimit = 30_000;

/**
 * What goes to the tracker for a comment: wfhub's own as they are, a person's saying who wrote
 * them (the tracker shows the token's owner), cut to fit, and ending with the mark an import
 * knows it by, so a copy that came back is linked to the original rather than imported again.
 */
export function pushedBody(comment: { id: number; author: string; body: string }, limit = trackerCommentLimit): string {
  const mark = `\n\n${commentMark(comment.id)}`;
  const text = comment.author === runCommentAuthor ? comment.body : `**${comment.author}** (in wfhub):\n\n${comment.body}`;
  const room = limit - mark.length;
  return `${text.length > room ? `${text.slice(0, room - 40)}\n\n… (cut: the whole comment is in wfhub)` : text}${mark}`;
}

export const commentMark = (id: number) => `(wfhub comment ${id})`;

/** The wfhub comment a tracker's comment was pushed from, by its mark. */
export function markedComment(body: string): number | undefined {
  const match = /\(wfhub comment (\d{1,12})\)\s*$/.exec(body);
  return match ? Number(match[1]) : undefined;
}
