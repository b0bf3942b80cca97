import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import type { Attachment } from '../../../../src/attachments/attachment.schema.js';
import { api, ApiError, apiForm } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import { download, useObjectUrl } from '../../shared/use-object-url.js';

const isImage = (attachment: Attachment) => /^image\/(png|jpeg|gif|webp)$/.test(attachment.content_type);

/** Files of the task: upload (several at once), preview images, download, delete. */
export function AttachmentsSection({ taskId }: { taskId: number }) {
  const client = useQueryClient();
  const key = queryKeys.attachments(taskId);
  const attachments = useQuery({ queryKey: key, queryFn: () => api<Attachment[]>('GET', `/tasks/${taskId}/attachments?limit=500`) });
  const input = useRef<HTMLInputElement>(null);
  const [failure, setFailure] = useState<string | undefined>();
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const upload = useMutation({
    mutationFn: (files: File[]) => {
      const form = new FormData();
      for (const file of files) form.append('file', file, file.name);
      return apiForm<Attachment[]>(`/tasks/${taskId}/attachments`, form);
    },
    onSettled: () => {
      if (input.current) input.current.value = '';
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: number) => api<void>('DELETE', `/attachments/${id}`), onSettled: refresh });
  const list = attachments.data ?? [];
  const error = [upload.error, remove.error, attachments.error].find((item) => item instanceof ApiError);

  return (
    <section className="editor-section" aria-label="Attachments">
      <h3>
        Attachments <span className="count">{list.length > 0 && list.length}</span>
      </h3>
      <ul className="attachments">
        {list.map((attachment) => (
          <li key={attachment.id}>
            {isImage(attachment) && <ImagePreview attachment={attachment} />}
            <span className="file-name">{attachment.file_name}</span>
            <span className="muted">{formatBytes(attachment.size_bytes)}</span>
            <button
              type="button"
              className="link"
              aria-label={`Download ${attachment.file_name}`}
              onClick={() => download(attachment.download_url, attachment.file_name).catch((problem: Error) => setFailure(problem.message))}
            >
              Download
            </button>
            <button
              type="button"
              className="link"
              aria-label={`Delete ${attachment.file_name}`}
              onClick={() => window.confirm(`Delete ${attachment.file_name}?`) && remove.mutate(attachment.id)}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <label className="upload">
        Add files
        <input
          ref={input}
          type="file"
          multiple
          disabled={upload.isPending}
          onChange={(event) => {
            const files = [...(event.target.files ?? [])];
            setFailure(undefined);
            if (files.length > 0) upload.mutate(files);
          }}
        />
      </label>
      {upload.isPending && <p role="status">Uploading…</p>}
      {error instanceof ApiError && <p role="alert">{error.message}</p>}
      {failure && <p role="alert">{failure}</p>}
    </section>
  );
}

function ImagePreview({ attachment }: { attachment: Attachment }) {
  const url = useObjectUrl(attachment.download_url);
  if (!url) return <span className="thumb" />;
  return (
    <a href={url} target="_blank" rel="noreferrer" className="thumb">
      <img src={url} alt={attachment.description ?? attachment.file_name} title={attachment.description ?? undefined} />
    </a>
  );
}
