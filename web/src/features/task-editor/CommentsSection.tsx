import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Comment } from '../../../../src/comments/comment.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { formatTime, timeOf } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';

/** The task's conversation: people's notes and wfhub's run summaries; add, edit, delete. */
export function CommentsSection({ taskId }: { taskId: number }) {
  const client = useQueryClient();
  const key = queryKeys.comments(taskId);
  const comments = useQuery({ queryKey: key, queryFn: () => api<Comment[]>('GET', `/tasks/${taskId}/comments?limit=500`) });
  const [body, setBody] = useState('');
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const add = useMutation({
    mutationFn: () => api<Comment>('POST', `/tasks/${taskId}/comments`, { body }),
    onSuccess: () => {
      setBody('');
      void refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (body.trim()) add.mutate();
  };
  const list = comments.data ?? [];
  return (
    <section className="editor-section" aria-label="Comments">
      <h3>
        Comments <span className="count">{list.length > 0 && list.length}</span>
      </h3>
      {comments.error instanceof ApiError && <p role="alert">{comments.error.message}</p>}
      <ul className="comments">
        {list.map((comment) => (
          <CommentItem key={comment.id} comment={comment} onChanged={refresh} />
        ))}
      </ul>
      <form className="comment-form" aria-label="Add a comment" onSubmit={submit}>
        <label>
          <span className="visually-hidden">New comment</span>
          <textarea value={body} onChange={(event) => setBody(event.target.value)} rows={3} placeholder="Add a comment" />
        </label>
        <button type="submit" disabled={!body.trim() || add.isPending}>
          Comment
        </button>
        {add.error instanceof ApiError && <p role="alert">{add.error.message}</p>}
      </form>
    </section>
  );
}

function CommentItem({ comment, onChanged }: { comment: Comment; onChanged: () => void }) {
  const [editing, setEditing] = useState<string | undefined>();
  const edit = useMutation({
    mutationFn: (text: string) => api<Comment>('PATCH', `/comments/${comment.id}`, { body: text }),
    onSuccess: () => {
      setEditing(undefined);
      onChanged();
    },
  });
  const remove = useMutation({ mutationFn: () => api<void>('DELETE', `/comments/${comment.id}`), onSuccess: onChanged });
  const author = comment.author === 'wfhub' ? 'wfhub' : comment.author;
  return (
    <li className={`comment ${comment.author === 'wfhub' ? 'comment-wfhub' : ''}`} aria-label={`Comment by ${author}`}>
      <div className="comment-head">
        <strong>{author}</strong>
        <span className="muted">
          {formatTime(comment.created_at)}
          {timeOf(comment.updated_at) !== timeOf(comment.created_at) && ' · edited'}
        </span>
        {editing === undefined && (
          <span className="comment-actions">
            <button type="button" className="link" onClick={() => setEditing(comment.body)} aria-label={`Edit comment ${comment.id}`}>
              Edit
            </button>
            <button
              type="button"
              className="link"
              aria-label={`Delete comment ${comment.id}`}
              onClick={() => window.confirm('Delete this comment?') && remove.mutate()}
            >
              Delete
            </button>
          </span>
        )}
      </div>
      {editing === undefined ? (
        <div className="comment-body">{comment.body}</div>
      ) : (
        <form
          aria-label={`Edit comment ${comment.id}`}
          onSubmit={(event) => {
            event.preventDefault();
            if (editing.trim()) edit.mutate(editing);
          }}
        >
          <label>
            <span className="visually-hidden">Comment text</span>
            <textarea
              value={editing}
              onChange={(event) => setEditing(event.target.value)}
              rows={4}
              autoFocus
              onKeyDown={(event) => {
                // Esc leaves the edit, not the whole task.
                if (event.key === 'Escape') {
                  event.preventDefault();
                  setEditing(undefined);
                }
              }}
            />
          </label>
          <div className="actions">
            <button type="submit" disabled={!editing.trim() || edit.isPending}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(undefined)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {[edit.error, remove.error].map((error, index) => error instanceof ApiError && <p key={index} role="alert">{error.message}</p>)}
    </li>
  );
}
