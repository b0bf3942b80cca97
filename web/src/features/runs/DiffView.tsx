import { useQuery } from '@tanstack/react-query';
import parseDiff from 'parse-diff';
import { useMemo } from 'react';
import { apiText } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { highlightLine, languageOf } from './highlight.js';

/** Files with more changed lines than this start folded, so one huge file does not bury the rest. */
const foldAbove = 400;

/** What a run changed, a section per file, the code highlighted by its language. */
export function DiffView({ runId, refreshKey }: { runId: number; refreshKey: string }) {
  const diff = useQuery({ queryKey: [...queryKeys.diff(runId), refreshKey], queryFn: () => apiText(`/runs/${runId}/diff`) });
  const files = useMemo(() => parseDiff(diff.data ?? ''), [diff.data]);
  if (diff.isError) return <p role="alert">{(diff.error as Error).message}</p>;
  if (!diff.data) return diff.isSuccess ? <p className="empty">No changes to files.</p> : <p className="muted">Loading the diff…</p>;
  return (
    <div className="diff" role="region" aria-label="Diff">
      {files.map((file, index) => {
        const name = file.to && file.to !== '/dev/null' ? file.to : (file.from ?? '');
        const language = languageOf(name);
        return (
          <details key={`${name}-${index}`} className="diff-file" open={file.additions + file.deletions <= foldAbove}>
            <summary>
              <span className="file-name">{file.deleted ? `${name} (deleted)` : file.new ? `${name} (new)` : file.from !== file.to ? `${file.from} → ${file.to}` : name}</span>
              <span className="diff-counts">
                <span className="added">+{file.additions}</span> <span className="removed">−{file.deletions}</span>
              </span>
            </summary>
            <table className="diff-lines">
              <tbody>
                {file.chunks.map((chunk, chunkIndex) => [
                  <tr key={`h${chunkIndex}`} className="diff-hunk">
                    <td colSpan={3}>{chunk.content}</td>
                  </tr>,
                  ...chunk.changes.map((change, changeIndex) => {
                    const code = change.content.slice(1);
                    const html = highlightLine(code, language);
                    const oldLine = change.type === 'normal' ? change.ln1 : change.type === 'del' ? change.ln : '';
                    const newLine = change.type === 'normal' ? change.ln2 : change.type === 'add' ? change.ln : '';
                    return (
                      <tr key={`${chunkIndex}-${changeIndex}`} className={`diff-${change.type}`}>
                        <td className="ln">{oldLine}</td>
                        <td className="ln">{newLine}</td>
                        <td className="code">
                          <span className="sign">{change.type === 'add' ? '+' : change.type === 'del' ? '−' : ' '}</span>
                          {html === undefined ? <code>{code}</code> : <code className="hljs" dangerouslySetInnerHTML={{ __html: html }} />}
                        </td>
                      </tr>
                    );
                  }),
                ])}
              </tbody>
            </table>
          </details>
        );
      })}
    </div>
  );
}
