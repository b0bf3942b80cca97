import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { formDataBody, sendMultipart, uploadParts, type FormPart } from '../helpers/multipart.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

const generatedName = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A 1x1 PNG, so "inline" is tried with a real image. */
const pixelPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Every byte value, then random bytes: a download must give back exactly these. */
function binaryContent(size: number): Buffer {
  const allByteValues = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
  return Buffer.concat([allByteValues, randomBytes(Math.max(0, size - 256))]).subarray(0, size);
}

/** Every regular file under `dir`, as absolute paths. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

interface Harness {
  hub: TestHub;
  attachmentsDir: () => string;
  storedNames: () => string[];
  newTask: (title?: string, extra?: Record<string, unknown>) => Promise<number>;
  newProject: (name: string) => Promise<number>;
}

/** A hub with one project, and the helpers every test here uses. */
function useHub(kind: Parameters<typeof createTestHub>[0], overrides: Parameters<typeof createTestHub>[1] = {}): Harness {
  const harness = {} as Harness;
  let projectId: number;
  let projectCount = 0;
  beforeAll(async () => {
    harness.hub = await createTestHub(kind, overrides);
    projectId = await harness.newProject('Attachments');
  });
  afterAll(() => harness.hub?.close());
  harness.attachmentsDir = () => path.join(harness.hub.services.config.dataDir, 'attachments');
  harness.storedNames = () => (existsSync(harness.attachmentsDir()) ? readdirSync(harness.attachmentsDir()).sort() : []);
  harness.newProject = async (name) => {
    projectCount++;
    const created = await harness.hub.call('POST', '/projects', { name, workspace_path: `project-${projectCount}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id;
  };
  harness.newTask = async (title = 'task with files', extra = {}) => {
    const created = await harness.hub.call('POST', '/tasks', { project_id: projectId, title, ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id;
  };
  return harness;
}

describe.each(backends())('attachments API on %s', (kind) => {
  const harness = useHub(kind);
  const download = (id: number, query = '') => harness.hub.app.inject({ method: 'GET', url: `/attachments/${id}/download${query}` });

  it('uploads one file: 201 with an array describing it, then lists it', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const uploaded = await uploadParts(hub, taskId, [
      { field: 'file', fileName: 'notes.txt', contentType: 'text/plain', content: 'hello agents' },
    ]);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toHaveLength(1);
    const [attachment] = uploaded.body;
    expect(attachment).toMatchObject({
      task_id: taskId,
      file_name: 'notes.txt',
      content_type: 'text/plain',
      size_bytes: 12,
      download_url: `/attachments/${attachment.id}/download`,
    });
    expect(attachment).not.toHaveProperty('stored_name');

    const listed = await hub.call('GET', `/tasks/${taskId}/attachments`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([attachment]);
    expect(listed.headers['x-total-count']).toBe('1');
  });

  it('uploads several files in one request, keeps their order and gives each one back byte for byte', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const parts: FormPart[] = [
      { field: 'file', fileName: 'a.txt', contentType: 'text/plain', content: 'first file' },
      { field: 'file', fileName: 'pixel.png', contentType: 'image/png', content: pixelPng },
      { field: 'file', fileName: 'blob.bin', content: binaryContent(70_000) },
    ];
    const uploaded = await uploadParts(hub, taskId, parts);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body.map((attachment: { file_name: string }) => attachment.file_name)).toEqual(['a.txt', 'pixel.png', 'blob.bin']);
    expect(uploaded.body.map((attachment: { content_type: string }) => attachment.content_type)).toEqual([
      'text/plain',
      'image/png',
      'application/octet-stream',
    ]);

    const listed = await hub.call('GET', `/tasks/${taskId}/attachments`);
    expect(listed.body).toEqual(uploaded.body);
    expect(listed.headers['x-total-count']).toBe('3');

    for (const [index, attachment] of uploaded.body.entries()) {
      const response = await download(attachment.id);
      expect(response.statusCode).toBe(200);
      expect(response.rawPayload.equals(Buffer.from(parts[index]!.content))).toBe(true);
      expect(attachment.size_bytes).toBe(Buffer.from(parts[index]!.content).length);
    }
  });

  it('accepts an upload serialised by FormData, as a browser or fetch sends it', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const form = new FormData();
    form.append('file', new Blob(['# Spec\n'], { type: 'text/markdown' }), 'spec.md');
    form.append('file', new Blob([pixelPng], { type: 'image/png' }), 'screenshot.png');
    const uploaded = await sendMultipart(hub, `/tasks/${taskId}/attachments`, await formDataBody(form));
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body).toMatchObject([
      { file_name: 'spec.md', content_type: 'text/markdown', size_bytes: 7 },
      { file_name: 'screenshot.png', content_type: 'image/png', size_bytes: pixelPng.length },
    ]);
  });

  it('downloads the exact bytes with the stored content type, nosniff and an attachment disposition', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const content = binaryContent(5000);
    const uploaded = await uploadParts(hub, taskId, [{ field: 'file', fileName: 'report.pdf', contentType: 'application/pdf', content }]);
    const response = await download(uploaded.body[0].id);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(content)).toBe(true);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-length']).toBe('5000');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
  });

  it('stores files under generated names inside the attachments folder, whatever the client called them', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const content = Buffer.from('root:x:0:0:not really\n');
    const uploaded = await uploadParts(hub, taskId, [
      { field: 'file', fileName: '../../etc/passwd', content },
      { field: 'file', fileName: '../../../../../../tmp/wfhub-escape.txt', content },
      { field: 'file', fileName: '..\\..\\windows\\win.ini', content },
      { field: 'file', fileName: '..', content },
    ]);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    for (const attachment of uploaded.body) {
      expect(attachment.file_name).not.toMatch(/[/\\]/);
      expect(['.', '..']).not.toContain(attachment.file_name);
    }
    expect(uploaded.body.map((attachment: { file_name: string }) => attachment.file_name)).toEqual(['passwd', 'wfhub-escape.txt', 'win.ini', 'file']);

    const added = harness.storedNames().filter((name) => !before.includes(name));
    expect(added).toHaveLength(4);
    for (const name of added) {
      expect(name).toMatch(generatedName);
      expect(readFileSync(path.join(harness.attachmentsDir(), name)).equals(content)).toBe(true);
    }
    // Nothing anywhere in the hub's folders but the attachments' own files (and the workspaces
    // dir's id, made with the first project).
    const everyFile = filesUnder(hub.dir).filter((file) => file !== path.join(hub.dir, 'workspaces', '.wfhub-workspaces.json'));
    expect(everyFile).toEqual(expect.arrayContaining(added.map((name) => path.join(harness.attachmentsDir(), name))));
    const strays = everyFile.filter((file) => path.dirname(file) !== harness.attachmentsDir());
    expect(strays).toEqual([]);
    expect(existsSync('/tmp/wfhub-escape.txt')).toBe(false);
  });

  it.each<[string, FormPart['fileNameEncoding'], string, string]>([
    ['../../etc/passwd', 'raw', 'passwd', `attachment; filename="passwd"; filename*=UTF-8''passwd`],
    ['evil"name.txt', 'backslash', 'evil"name.txt', `attachment; filename="evil_name.txt"; filename*=UTF-8''evil%22name.txt`],
    ['evil"name\t\u0007.txt', 'extended', 'evil"name.txt', `attachment; filename="evil_name.txt"; filename*=UTF-8''evil%22name.txt`],
    ['back\\slash.txt', 'extended', 'slash.txt', `attachment; filename="slash.txt"; filename*=UTF-8''slash.txt`],
    [
      'résumé 日本語.pdf',
      'raw',
      'résumé 日本語.pdf',
      `attachment; filename="r_sum_ ___.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf`,
    ],
    [
      "naïve (draft) it's*.md",
      'extended',
      "naïve (draft) it's*.md",
      `attachment; filename="na_ve (draft) it's*.md"; filename*=UTF-8''na%C3%AFve%20%28draft%29%20it%27s%2A.md`,
    ],
  ])('keeps client file name %j (sent %s) as metadata %j and answers a safe content-disposition', async (clientName, encoding, storedName, disposition) => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const uploaded = await uploadParts(hub, taskId, [
      { field: 'file', fileName: clientName, fileNameEncoding: encoding, contentType: 'text/plain', content: 'x' },
    ]);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body[0].file_name).toBe(storedName);
    const response = await download(uploaded.body[0].id);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe(disposition);
  });

  it('answers a one-line, quoted content-disposition for a browser-sent name with a quote and a line break', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const form = new FormData();
    form.append('file', new Blob(['x'], { type: 'text/plain' }), 'evil"name\r\n.txt');
    const uploaded = await sendMultipart(hub, `/tasks/${taskId}/attachments`, await formDataBody(form));
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    const fileName: string = uploaded.body[0].file_name;
    expect(fileName).toBe('evil"name.txt');

    const response = await download(uploaded.body[0].id);
    const disposition = String(response.headers['content-disposition']);
    const match = /^attachment; filename="([\x20\x21\x23-\x5b\x5d-\x7e]*)"; filename\*=UTF-8''([A-Za-z0-9%!._~-]*)$/.exec(disposition);
    expect(match, disposition).not.toBeNull();
    expect(decodeURIComponent(match![2]!)).toBe(fileName);
  });

  it.each([
    ['?inline=true', 'inline'],
    ['?inline=1', 'inline'],
    ['?inline=false', 'attachment'],
    ['', 'attachment'],
  ])('shows a PNG %j as %s', async (query, disposition) => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const uploaded = await uploadParts(hub, taskId, [{ field: 'file', fileName: 'pixel.png', contentType: 'image/png', content: pixelPng }]);
    const response = await download(uploaded.body[0].id, query);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['content-disposition']).toBe(`${disposition}; filename="pixel.png"; filename*=UTF-8''pixel.png`);
    expect(response.rawPayload.equals(pixelPng)).toBe(true);
  });

  it.each([
    ['page.html', 'text/html', '<script>alert(document.cookie)</script>'],
    ['drawing.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
    ['page.xhtml', 'application/xhtml+xml', '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'],
  ])('never shows %s (%s) inline, even with ?inline=true', async (fileName, contentType, content) => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const uploaded = await uploadParts(hub, taskId, [{ field: 'file', fileName, contentType, content }]);
    expect(uploaded.status).toBe(201);
    const response = await download(uploaded.body[0].id, '?inline=true');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${fileName}"; filename*=UTF-8''${fileName}`);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(String(response.headers['content-security-policy'])).toContain('sandbox');
  });

  it('refuses a JSON body with 415 and stores nothing', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const answer = await hub.call('POST', `/tasks/${taskId}/attachments`, { file: 'aGVsbG8=', file_name: 'hello.txt' });
    expect(answer.status).toBe(415);
    expect(errorCode(answer)).toBe('multipart_required');
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).body).toEqual([]);
    expect(harness.storedNames()).toEqual(before);
  });

  it('refuses a file sent in a field not named "file" (400) and keeps none of the upload', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const answer = await uploadParts(hub, taskId, [
      { field: 'file', fileName: 'good.txt', content: 'kept?' },
      { field: 'files', fileName: 'typo.txt', content: 'field name typo' },
    ]);
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('unexpected_field');
    expect(answer.body.error.message).toContain('files');
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).headers['x-total-count']).toBe('0');
    expect(harness.storedNames()).toEqual(before);
  });

  it('refuses a text form field sent next to the file (400), as the route promises, and keeps nothing', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const answer = await uploadParts(hub, taskId, [
      { field: 'file', fileName: 'good.txt', content: 'kept?' },
      { field: 'description', content: 'this text would be silently lost' },
    ]);
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(errorCode(answer)).toBe('unexpected_field');
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).headers['x-total-count']).toBe('0');
    expect(harness.storedNames()).toEqual(before);
  });

  it('refuses an upload with no file part (400)', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    for (const parts of [[], [{ field: 'file', content: 'text, not a file' }]] as FormPart[][]) {
      const answer = await uploadParts(hub, taskId, parts);
      expect(answer.status, JSON.stringify(parts)).toBe(400);
      expect(errorCode(answer)).toMatch(/^(no_files|unexpected_field)$/);
    }
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).headers['x-total-count']).toBe('0');
  });

  it('refuses more than 50 files in one upload (413) and keeps none of them', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const parts = Array.from({ length: 51 }, (_, index) => ({ field: 'file', fileName: `part-${index}.txt`, content: `part ${index}` }));
    const answer = await uploadParts(hub, taskId, parts);
    expect(answer.status).toBe(413);
    expect(errorCode(answer)).toBe('too_many_files');
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).headers['x-total-count']).toBe('0');
    expect(harness.storedNames()).toEqual(before);
  });

  it('answers 404 for an upload to an unknown task and leaves no file behind', async () => {
    const { hub } = harness;
    const before = harness.storedNames();
    const answer = await uploadParts(hub, 424242, [{ field: 'file', fileName: 'lost.txt', content: 'nobody home' }]);
    expect(answer.status).toBe(404);
    expect(errorCode(answer)).toBe('not_found');
    expect(answer.body.error.message).toContain('task 424242');
    expect(harness.storedNames()).toEqual(before);
  });

  it('answers 404 for unknown tasks and attachments on every route', async () => {
    const { hub } = harness;
    expect(errorCode(await hub.call('GET', '/tasks/424242/attachments'))).toBe('not_found');
    expect((await hub.call('GET', '/tasks/424242/attachments')).status).toBe(404);
    const missingDownload = await hub.call('GET', '/attachments/424242/download');
    expect(missingDownload.status).toBe(404);
    expect(errorCode(missingDownload)).toBe('not_found');
    expect((await hub.call('DELETE', '/attachments/424242')).status).toBe(404);
    expect((await hub.call('GET', '/attachments/abc/download')).status).toBe(400);
  });

  it('pages the list with limit and offset and reports the total', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const parts = ['one', 'two', 'three', 'four'].map((name) => ({ field: 'file', fileName: `${name}.txt`, content: name }));
    await uploadParts(hub, taskId, parts);
    const page = await hub.call('GET', `/tasks/${taskId}/attachments?limit=2&offset=1`);
    expect(page.status).toBe(200);
    expect(page.body.map((attachment: { file_name: string }) => attachment.file_name)).toEqual(['two.txt', 'three.txt']);
    expect(page.headers['x-total-count']).toBe('4');
  });

  it('deletes an attachment: 204, its file is gone from disk, then 404', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const uploaded = await uploadParts(hub, taskId, [
      { field: 'file', fileName: 'keep.txt', content: 'stays' },
      { field: 'file', fileName: 'drop.txt', content: 'goes' },
    ]);
    const [kept, dropped] = uploaded.body;
    const added = harness.storedNames().filter((name) => !before.includes(name));
    expect(added).toHaveLength(2);

    const deleted = await hub.call('DELETE', `/attachments/${dropped.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    const remaining = harness.storedNames().filter((name) => !before.includes(name));
    expect(remaining).toHaveLength(1);
    expect(readFileSync(path.join(harness.attachmentsDir(), remaining[0]!), 'utf8')).toBe('stays');

    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).body).toEqual([kept]);
    expect((await hub.call('GET', `/attachments/${dropped.id}/download`)).status).toBe(404);
    expect((await hub.call('DELETE', `/attachments/${dropped.id}`)).status).toBe(404);
    expect((await download(kept.id)).body).toBe('stays');
  });

  it("deleting a task removes its attachments' files and those of its subtasks", async () => {
    const { hub } = harness;
    const parentId = await harness.newTask('parent');
    const childId = await harness.newTask('child', { parent_id: parentId });
    const otherId = await harness.newTask('unrelated');
    const before = harness.storedNames();
    const parentFiles = await uploadParts(hub, parentId, [{ field: 'file', fileName: 'parent.txt', content: 'p' }]);
    const childFiles = await uploadParts(hub, childId, [{ field: 'file', fileName: 'child.txt', content: 'c' }]);
    const afterParentAndChild = harness.storedNames();
    const otherFiles = await uploadParts(hub, otherId, [{ field: 'file', fileName: 'other.txt', content: 'o' }]);
    const otherStored = harness.storedNames().filter((name) => !afterParentAndChild.includes(name));
    expect(otherStored).toHaveLength(1);

    expect((await hub.call('DELETE', `/tasks/${parentId}`)).status).toBe(204);
    expect(harness.storedNames()).toEqual([...before, ...otherStored].sort());
    expect((await hub.call('GET', `/attachments/${parentFiles.body[0].id}/download`)).status).toBe(404);
    expect((await hub.call('GET', `/attachments/${childFiles.body[0].id}/download`)).status).toBe(404);
    expect((await download(otherFiles.body[0].id)).body).toBe('o');
  });

  it("deleting a project removes the files of all its tasks' attachments, and only those", async () => {
    const { hub } = harness;
    const doomedProject = await harness.newProject('Doomed with files');
    const taskA = (await hub.call('POST', '/tasks', { project_id: doomedProject, title: 'a' })).body.id;
    const taskB = (await hub.call('POST', '/tasks', { project_id: doomedProject, title: 'b', parent_id: taskA })).body.id;
    const survivorTask = await harness.newTask('survivor');
    const before = harness.storedNames();
    await uploadParts(hub, taskA, [{ field: 'file', fileName: 'a.txt', content: 'a' }]);
    await uploadParts(hub, taskB, [
      { field: 'file', fileName: 'b1.txt', content: 'b1' },
      { field: 'file', fileName: 'b2.txt', content: 'b2' },
    ]);
    const survivor = await uploadParts(hub, survivorTask, [{ field: 'file', fileName: 'survivor.txt', content: 's' }]);
    expect(harness.storedNames()).toHaveLength(before.length + 4);

    expect((await hub.call('DELETE', `/projects/${doomedProject}`)).status).toBe(204);
    expect(harness.storedNames()).toHaveLength(before.length + 1);
    expect((await download(survivor.body[0].id)).body).toBe('s');
  });
});

describe.each(backends())('attachment size limit on %s', (kind) => {
  const limit = 1024;
  const harness = useHub(kind, { attachmentMaxBytes: limit });

  it('accepts a file of exactly ATTACHMENT_MAX_BYTES', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const content = binaryContent(limit);
    const uploaded = await uploadParts(hub, taskId, [{ field: 'file', fileName: 'exact.bin', content }]);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    expect(uploaded.body[0].size_bytes).toBe(limit);
    const response = await hub.app.inject({ method: 'GET', url: uploaded.body[0].download_url });
    expect(response.rawPayload.equals(content)).toBe(true);
  });

  it.each([
    ['one byte over the limit', limit + 1],
    ['far over the limit', 1024 * 1024],
  ])('refuses a file %s with 413 and stores nothing: no row, no file', async (_label, size) => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const answer = await uploadParts(hub, taskId, [{ field: 'file', fileName: 'big.bin', content: binaryContent(size) }]);
    expect(answer.status, JSON.stringify(answer.body)).toBe(413);
    expect(errorCode(answer)).toBe('payload_too_large');
    const listed = await hub.call('GET', `/tasks/${taskId}/attachments`);
    expect(listed.body).toEqual([]);
    expect(listed.headers['x-total-count']).toBe('0');
    expect(harness.storedNames()).toEqual(before);
  });

  it.each([
    ['the last', ['ok-1', 'ok-2', 'big']],
    ['the middle', ['ok-1', 'big', 'ok-2']],
    ['the first', ['big', 'ok-1', 'ok-2']],
  ])('keeps none of several files (413) when %s one is too large', async (_position, names) => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    const before = harness.storedNames();
    const parts = names.map((name) => ({
      field: 'file',
      fileName: `${name}.bin`,
      content: binaryContent(name === 'big' ? limit * 4 : 100),
    }));
    const answer = await uploadParts(hub, taskId, parts);
    expect(answer.status, JSON.stringify(answer.body)).toBe(413);
    expect(errorCode(answer)).toBe('payload_too_large');
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).body).toEqual([]);
    expect(harness.storedNames()).toEqual(before);
  });

  it('still accepts uploads after refusing one', async () => {
    const { hub } = harness;
    const taskId = await harness.newTask();
    expect((await uploadParts(hub, taskId, [{ field: 'file', fileName: 'big.bin', content: binaryContent(limit * 2) }])).status).toBe(413);
    const uploaded = await uploadParts(hub, taskId, [{ field: 'file', fileName: 'small.txt', content: 'fits' }]);
    expect(uploaded.status).toBe(201);
    expect((await hub.call('GET', `/tasks/${taskId}/attachments`)).body).toEqual(uploaded.body);
  });
});
