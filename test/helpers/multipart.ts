import { randomBytes } from 'node:crypto';
import { toAnswer, type Answer, type TestHub } from './test-hub.js';

/** One part of a multipart/form-data body. */
export interface FormPart {
  /** The form field name (the upload route expects "file"). */
  field: string;
  /** The file's bytes, or a text field's value. */
  content: Buffer | string;
  /** The client's file name; leave it out for a plain text field. */
  fileName?: string;
  /**
   * How the file name is written in the part header:
   * - "raw" (default): `filename="..."` with the name's UTF-8 bytes as they are, as curl and most clients send it;
   * - "backslash": `filename="..."` with `"` and `\` escaped by a backslash, as curl does for a quote;
   * - "extended": only `filename*=UTF-8''...` (RFC 5987 percent-encoding), so any character can be sent.
   */
  fileNameEncoding?: 'raw' | 'backslash' | 'extended';
  /** The part's content-type; a file part without one is sent as application/octet-stream. */
  contentType?: string;
}

export interface MultipartBody {
  payload: Buffer;
  headers: { 'content-type': string };
}

function fileNameParameter(fileName: string, encoding: FormPart['fileNameEncoding']): string {
  switch (encoding ?? 'raw') {
    case 'raw':
      return `filename="${fileName}"`;
    case 'backslash':
      return `filename="${fileName.replace(/["\\]/g, (character) => `\\${character}`)}"`;
    case 'extended':
      return `filename*=UTF-8''${encodeURIComponent(fileName).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)}`;
  }
}

/** Builds a multipart/form-data body by hand, so tests control every byte of the part headers. */
export function multipartBody(parts: readonly FormPart[]): MultipartBody {
  const boundary = `----wfhub-test-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = [`form-data; name="${part.field}"`];
    if (part.fileName !== undefined) disposition.push(fileNameParameter(part.fileName, part.fileNameEncoding));
    const headerLines = [`--${boundary}`, `Content-Disposition: ${disposition.join('; ')}`];
    const contentType = part.contentType ?? (part.fileName !== undefined ? 'application/octet-stream' : undefined);
    if (contentType !== undefined) headerLines.push(`Content-Type: ${contentType}`);
    chunks.push(Buffer.from(`${headerLines.join('\r\n')}\r\n\r\n`, 'utf8'));
    chunks.push(typeof part.content === 'string' ? Buffer.from(part.content, 'utf8') : part.content);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Serialises a FormData the way fetch would (undici's encoder), for a browser-like upload. */
export async function formDataBody(form: FormData): Promise<MultipartBody> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  const contentType = request.headers.get('content-type');
  if (!contentType) throw new Error('FormData serialised without a content-type');
  return { payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': contentType } };
}

/** Sends a multipart body to `url` and parses the JSON answer like `hub.call` does. */
export async function sendMultipart(hub: TestHub, url: string, body: MultipartBody): Promise<Answer> {
  return toAnswer(await hub.app.inject({ method: 'POST', url, payload: body.payload, headers: body.headers }));
}

/** Uploads the parts to a task's attachments route. */
export function uploadParts(hub: TestHub, taskId: number, parts: readonly FormPart[]): Promise<Answer> {
  return sendMultipart(hub, `/tasks/${taskId}/attachments`, multipartBody(parts));
}
