/**
 * No input may produce a 500: whatever a client sends to whatever route, the answer is either a
 * success or a 4xx with the one error shape {"error": {"code", "message", "details"?}}, and a
 * refused request changes nothing. Property tests (fast-check) throw arbitrary bodies, fields,
 * query strings and path ids at every route; the tables pin the nasty cases one by one.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type Answer, type TestHub } from '../helpers/test-hub.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** One request, byte for byte: no body when `payload` is undefined, no content-type when `contentType` is. */
interface Probe {
  method: Method;
  url: string;
  payload?: string | Buffer;
  contentType?: string;
}

/** An answer that knows how to describe its request, so a failure message is a reproduction. */
interface Exchange extends Answer {
  description: string;
}

const bodyLimitBytes = 4 * 1024 * 1024;
/** Small, so a too-large upload is cheap to send. */
const attachmentMaxBytes = 64 * 1024;
const maxId = 2_147_483_647;

const JSON_TYPE = 'application/json';

function shorten(value: string, length = 300): string {
  const quoted = JSON.stringify(value);
  return quoted.length > length ? `${quoted.slice(0, length)}...(${value.length} chars)` : quoted;
}

function describePayload(payload: Probe['payload']): string {
  if (payload === undefined) return '(no body)';
  if (Buffer.isBuffer(payload)) return shorten(payload.toString('latin1'));
  return shorten(payload);
}

async function send(hub: TestHub, probe: Probe): Promise<Exchange> {
  const raw = await hub.app.inject({
    method: probe.method,
    url: probe.url,
    headers: probe.contentType === undefined ? {} : { 'content-type': probe.contentType },
    ...(probe.payload !== undefined && { payload: probe.payload }),
  });
  let parsed: unknown;
  try {
    parsed = raw.body ? JSON.parse(raw.body) : undefined;
  } catch {
    parsed = raw.body;
  }
  const description =
    `${probe.method} ${shorten(probe.url, 200)} content-type=${probe.contentType ?? '(none)'} body=${describePayload(probe.payload)}` +
    ` -> ${raw.statusCode} ${shorten(raw.body)}`;
  return { status: raw.statusCode, body: parsed, headers: raw.headers, raw, description };
}

function sendJson(hub: TestHub, method: Method, url: string, body?: unknown): Promise<Exchange> {
  if (body === undefined) return send(hub, { method, url });
  return send(hub, { method, url, payload: JSON.stringify(body), contentType: JSON_TYPE });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A 4xx with exactly the documented error shape; returns the error code. */
function expectClientError(answer: Exchange): string {
  expect(answer.status, answer.description).toBeGreaterThanOrEqual(400);
  expect(answer.status, answer.description).toBeLessThan(500);
  let code: string;
  try {
    code = errorCode(answer);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n  request: ${answer.description}`);
  }
  expect(Object.keys(answer.body), answer.description).toEqual(['error']);
  const { details, ...rest } = answer.body.error as Record<string, unknown>;
  expect(Object.keys(rest).sort(), answer.description).toEqual(['code', 'message']);
  expect(code.length, answer.description).toBeGreaterThan(0);
  if (details !== undefined) expect(isPlainObject(details), answer.description).toBe(true);
  expect(String(answer.headers['content-type']), answer.description).toMatch(/^application\/json/);
  return code;
}

/** Anything but a 5xx; a refusal has the error shape. */
function expectNoServerError(answer: Exchange): void {
  expect(answer.status, answer.description).toBeLessThan(500);
  if (answer.status >= 400) expectClientError(answer);
}

function expectRefused(answer: Exchange, status: number, code?: string): void {
  const actualCode = expectClientError(answer);
  expect(answer.status, answer.description).toBe(status);
  if (code !== undefined) expect(actualCode, answer.description).toBe(code);
}

/** For input where refusing and ignoring are both fine: anything but a 5xx. */
const anythingButServerError = 'anything but a 5xx';

/** 200; or a refusal with its usual code; or, for `anythingButServerError`, no 5xx. */
function expectOutcome(answer: Exchange, expected: number | typeof anythingButServerError): void {
  if (expected === anythingButServerError) expectNoServerError(answer);
  else if (expected === 200) expect(answer.status, answer.description).toBe(200);
  else expectRefused(answer, expected, expected === 404 ? 'not_found' : 'invalid_request');
}

/** A multipart/form-data body built by hand, so malformed variants are easy to derive. */
function multipart(
  parts: { field: string; content: string | Buffer; fileName?: string; contentType?: string }[],
  boundary = 'wfhub-bad-input-boundary',
): { payload: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const fileName = part.fileName === undefined ? '' : `; filename="${part.fileName}"`;
    const type = part.contentType ?? (part.fileName === undefined ? undefined : 'text/plain');
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"${fileName}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

const percentEncodeBytes = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
const percentEncodeText = (text: string): string => percentEncodeBytes(Buffer.from(text, 'utf8'));

/** Text that has broken naive SQL, LIKE patterns, JSON or Unicode handling somewhere. */
const trickyTexts = [
  "'; drop table tasks; --",
  "Robert'); DROP TABLE projects;--",
  "1' OR '1'='1",
  '" OR ""="',
  "\\'; select pg_sleep(10); --",
  '$1 $$ $tag$ :name ? @p0',
  "E'\\x41' \\0 \\\\",
  '%_% \\% \\_',
  '/* comment */ -- end',
  'null',
  'NULL',
  'undefined',
  '{}',
  '<script>alert(1)</script>',
  '😀👍🏽👨‍👩‍👧‍👦🏳️‍🌈',
  'مرحبا بالعالم — שלום',
  '\u202Eright-to-left override\u202C and \u200Fmark',
  'e\u0301 Z̸̡̛a̷l̶g̵o̴',
  'zero\u200Bwidth\u200Djoiner\u2060',
  'tabs\tand\nnew\r\nlines',
  '𝕏 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{10FFFF} \uFFFF \uFFFE',
  '\u0001\u001f\u007f control characters',
];

/** One UTF-16 unit or code point of any kind, lone surrogates and NUL included. */
const anyCharacter = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u202e', '\ufeff', '\u200b', '😀', "'", '"', '\\', '%', '_', '/', '.', ' ') },
);
const nastyString = fc.oneof(
  fc.string({ unit: anyCharacter, maxLength: 30 }),
  fc.constantFrom(...trickyTexts, '', '   ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00', '..', '/etc'),
  fc
    .record({
      character: fc.constantFrom('a', '😀', 'é', ' ', '.'),
      // Around every length limit of the schemas and of a file name, and anywhere up to 1200.
      length: fc.oneof(fc.integer({ min: 0, max: 1200 }), fc.constantFrom(100, 101, 200, 201, 255, 256, 500, 501, 2001, 4001)),
    })
    .map(({ character, length }) => character.repeat(length)),
);
const nastyNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1.5, 1e308, -1e308, 5e-324, maxId, maxId + 1, -maxId - 1, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2),
  fc.double(),
  fc.integer(),
);
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3, stringUnit: anyCharacter }),
  fc.dictionary(nastyString, fc.oneof(nastyString, nastyNumber, fc.constant(null)), { maxKeys: 4 }),
  fc.array(fc.oneof(nastyString, fc.dictionary(nastyString, nastyString, { maxKeys: 3 })), { maxLength: 3 }),
);

describe.each(backends())('bad input on %s', (kind) => {
  let hub: TestHub;
  let project: any;
  let task: any;
  let comment: any;
  let criterion: any;
  let attachment: any;
  let unique = 0;
  const nextName = (prefix: string) => `${prefix} ${++unique}`;

  const json = (method: Method, url: string, body?: unknown) => sendJson(hub, method, url, body);

  async function created(method: Method, url: string, body: unknown): Promise<any> {
    const answer = await json(method, url, body);
    expect(answer.status, answer.description).toBe(201);
    return answer.body;
  }

  function upload(taskId: number, body: { payload: Buffer | string; contentType?: string }): Promise<Exchange> {
    return send(hub, { method: 'POST', url: `/tasks/${taskId}/attachments`, payload: body.payload, contentType: body.contentType });
  }

  function storedFiles(): string[] {
    const folder = path.join(hub.services.config.dataDir, 'attachments');
    return existsSync(folder) ? readdirSync(folder).sort() : [];
  }

  /** Everything a client can see of the fixture, plus the attachment files on disk. */
  async function observableState() {
    const urls = [
      '/projects?limit=5000',
      `/projects/${project.id}`,
      `/projects/${project.id}/tasks?limit=5000`,
      `/tasks/${task.id}`,
      `/tasks/${task.id}/comments?limit=5000`,
      `/tasks/${task.id}/acceptance-criteria?limit=5000`,
      `/tasks/${task.id}/attachments?limit=5000`,
    ];
    const reads = [];
    for (const url of urls) {
      const answer = await json('GET', url);
      reads.push({ url, status: answer.status, total: answer.headers['x-total-count'], body: answer.body });
    }
    return { reads, files: storedFiles() };
  }

  async function list(url: string) {
    const answer = await json('GET', url);
    expect(answer.status, answer.description).toBe(200);
    return { total: answer.headers['x-total-count'], items: answer.body as any[] };
  }

  beforeAll(async () => {
    hub = await createTestHub(kind, { attachmentMaxBytes });
    project = await created('POST', '/projects', {
      name: 'Fixture',
      workspace_path: 'fixture',
      environment: { stack: 'node', ports: [3000] },
      settings: { auto_commit: true },
    });
    task = await created('POST', '/tasks', { project_id: project.id, title: 'Fixture task', description: 'kept as is', node: 'dev' });
    comment = await created('POST', `/tasks/${task.id}/comments`, { body: 'fixture comment', author: 'qa' });
    criterion = await created('POST', `/tasks/${task.id}/acceptance-criteria`, { text: 'fixture criterion', check: 'npm test' });
    const uploaded = await upload(task.id, multipart([{ field: 'file', fileName: 'fixture.txt', content: 'fixture bytes' }]));
    expect(uploaded.status, uploaded.description).toBe(201);
    attachment = uploaded.body[0];
  });
  afterAll(() => hub?.close());

  /** Every route that takes a JSON body, with a body it accepts and what a refusal must leave alone. */
  interface BodyRoute {
    name: string;
    method: 'POST' | 'PATCH';
    url: () => string;
    validBody: () => Record<string, unknown>;
    required: string[];
    /** Values of the wrong type or out of range, per field. */
    wrongValues: Record<string, unknown[]>;
    /** What a refused request to this route must leave unchanged. */
    state: () => Promise<unknown>;
    /** Reads back what a successful answer describes. */
    readBack: (answerBody: any) => Promise<unknown>;
  }

  const idValues = ['1', 1.5, 0, -1, maxId + 1, 1e308, -1e308, 5e-324, true, [], {}, ''];
  const labelValues = [123, true, null, [], {}, '', '   ', '\n\t'];
  const textValues = [123, true, null, [], {}];
  const enumValues = ['nope', 'TODO', '', ' todo', 1, null, ['todo']];
  const numberValues = ['1', null, true, [], {}, ''];
  const objectValues = ['x', 1, [], [1, 2], null, true, ''];
  const booleanValues = ['true', 1, 0, null, 'yes', [], {}];
  const idListValues = [
    '1',
    1,
    null,
    {},
    true,
    '1,2',
    ...idValues.map((value) => [value]),
    [null],
    [[1]],
    Array.from({ length: 101 }, (_, index) => index + 1),
  ];
  const findIn = async (url: string, id: number) => (await list(url)).items.find((item) => item.id === id);

  const bodyRoutes: BodyRoute[] = [
    {
      name: 'POST /projects',
      method: 'POST',
      url: () => '/projects',
      validBody: () => ({ name: nextName('valid project'), workspace_path: `valid-${unique}` }),
      required: ['name'],
      wrongValues: {
        name: labelValues,
        workspace_path: [...labelValues, '..', '../outside', '/etc', '.'],
        environment: objectValues,
        settings: objectValues,
      },
      state: () => json('GET', '/projects?limit=5000').then((answer) => [answer.headers['x-total-count'], answer.body]),
      readBack: (body) => json('GET', `/projects/${body.id}`).then((answer) => answer.body),
    },
    {
      name: 'PATCH /projects/:id',
      method: 'PATCH',
      url: () => `/projects/${project.id}`,
      validBody: () => ({ environment: { stack: 'node', ports: [3000] } }),
      required: [],
      wrongValues: {
        name: labelValues,
        workspace_path: [...labelValues, '..', '/etc'],
        environment: objectValues,
        settings: objectValues,
      },
      state: () => json('GET', `/projects/${project.id}`).then((answer) => answer.body),
      readBack: (body) => json('GET', `/projects/${body.id}`).then((answer) => answer.body),
    },
    {
      name: 'POST /tasks',
      method: 'POST',
      url: () => '/tasks',
      validBody: () => ({ project_id: project.id, title: 'valid task' }),
      required: ['project_id', 'title'],
      wrongValues: {
        project_id: [...idValues, null],
        title: labelValues,
        description: textValues,
        status: enumValues,
        priority: enumValues,
        position: numberValues,
        parent_id: idValues,
        node_id: idValues,
        node: [...labelValues],
        acceptance_criteria: [
          'x',
          {},
          null,
          [1],
          [''],
          [null],
          [{}],
          [{ text: '' }],
          [{ text: 'ok', bogus: 1 }],
          [{ text: 'ok', done: 'yes' }],
          [{ text: 'ok', check: '' }],
          [{ text: 'ok', check_command: '' }],
          [{ text: 'ok', check: 'npm test', check_command: 'npm run lint' }],
          Array.from({ length: 101 }, (_, index) => `criterion ${index}`),
        ],
        autopilot: booleanValues,
        blocked_by: idListValues,
      },
      state: () => list(`/projects/${project.id}/tasks?limit=5000`),
      readBack: (body) => json('GET', `/tasks/${body.id}`).then((answer) => answer.body),
    },
    {
      name: 'PATCH /tasks/:id',
      method: 'PATCH',
      url: () => `/tasks/${task.id}`,
      validBody: () => ({ status: 'todo' }),
      required: [],
      wrongValues: {
        title: labelValues,
        description: textValues,
        status: enumValues,
        priority: enumValues,
        position: numberValues,
        parent_id: idValues,
        node_id: idValues,
        node: labelValues,
        autopilot: booleanValues,
        blocked_by: idListValues,
      },
      state: () => json('GET', `/tasks/${task.id}`).then((answer) => answer.body),
      readBack: (body) => json('GET', `/tasks/${body.id}`).then((answer) => answer.body),
    },
    {
      name: 'POST /tasks/:id/comments',
      method: 'POST',
      url: () => `/tasks/${task.id}/comments`,
      validBody: () => ({ body: 'valid comment' }),
      required: ['body'],
      wrongValues: { body: [...textValues, ''], author: labelValues },
      state: () => list(`/tasks/${task.id}/comments?limit=5000`),
      readBack: (body) => findIn(`/tasks/${task.id}/comments?limit=5000`, body.id),
    },
    {
      name: 'PATCH /comments/:id',
      method: 'PATCH',
      url: () => `/comments/${comment.id}`,
      validBody: () => ({ body: 'fixture comment' }),
      required: ['body'],
      wrongValues: { body: [...textValues, ''] },
      state: () => list(`/tasks/${task.id}/comments?limit=5000`),
      readBack: (body) => findIn(`/tasks/${task.id}/comments?limit=5000`, body.id),
    },
    {
      name: 'POST /tasks/:id/acceptance-criteria',
      method: 'POST',
      url: () => `/tasks/${task.id}/acceptance-criteria`,
      validBody: () => ({ text: 'valid criterion' }),
      required: ['text'],
      wrongValues: {
        text: labelValues,
        done: ['true', 1, 0, null, 'yes', []],
        check: [1, '', true, [], {}],
        check_command: [1, '', true, [], {}],
        position: numberValues,
      },
      state: () => list(`/tasks/${task.id}/acceptance-criteria?limit=5000`),
      readBack: (body) => findIn(`/tasks/${task.id}/acceptance-criteria?limit=5000`, body.id),
    },
    {
      name: 'PATCH /acceptance-criteria/:id',
      method: 'PATCH',
      url: () => `/acceptance-criteria/${criterion.id}`,
      validBody: () => ({ done: false }),
      required: [],
      wrongValues: {
        text: labelValues,
        done: ['true', 1, 0, null, 'yes', []],
        check: [1, '', true, [], {}],
        check_command: [1, '', true, [], {}],
        position: numberValues,
      },
      state: () => list(`/tasks/${task.id}/acceptance-criteria?limit=5000`),
      readBack: (body) => findIn(`/tasks/${task.id}/acceptance-criteria?limit=5000`, body.id),
    },
  ];
  const bodyRouteByName = (name: string) => bodyRoutes.find((route) => route.name === name)!;

  /** Every route with an `:id`, with a request that would succeed if the id were right. */
  const idRoutes: { name: string; probe: (id: string) => Probe }[] = [
    { name: 'GET /projects/:id', probe: (id) => ({ method: 'GET', url: `/projects/${id}` }) },
    {
      name: 'PATCH /projects/:id',
      probe: (id) => ({ method: 'PATCH', url: `/projects/${id}`, payload: '{"settings":{}}', contentType: JSON_TYPE }),
    },
    { name: 'DELETE /projects/:id', probe: (id) => ({ method: 'DELETE', url: `/projects/${id}` }) },
    { name: 'GET /projects/:id/tasks', probe: (id) => ({ method: 'GET', url: `/projects/${id}/tasks` }) },
    { name: 'GET /tasks/:id', probe: (id) => ({ method: 'GET', url: `/tasks/${id}` }) },
    {
      name: 'PATCH /tasks/:id',
      probe: (id) => ({ method: 'PATCH', url: `/tasks/${id}`, payload: '{"priority":"high"}', contentType: JSON_TYPE }),
    },
    { name: 'DELETE /tasks/:id', probe: (id) => ({ method: 'DELETE', url: `/tasks/${id}` }) },
    { name: 'GET /tasks/:id/comments', probe: (id) => ({ method: 'GET', url: `/tasks/${id}/comments` }) },
    {
      name: 'POST /tasks/:id/comments',
      probe: (id) => ({ method: 'POST', url: `/tasks/${id}/comments`, payload: '{"body":"hi"}', contentType: JSON_TYPE }),
    },
    {
      name: 'PATCH /comments/:id',
      probe: (id) => ({ method: 'PATCH', url: `/comments/${id}`, payload: '{"body":"edited"}', contentType: JSON_TYPE }),
    },
    { name: 'DELETE /comments/:id', probe: (id) => ({ method: 'DELETE', url: `/comments/${id}` }) },
    { name: 'GET /tasks/:id/attachments', probe: (id) => ({ method: 'GET', url: `/tasks/${id}/attachments` }) },
    {
      name: 'POST /tasks/:id/attachments',
      probe: (id) => ({ method: 'POST', url: `/tasks/${id}/attachments`, ...multipart([{ field: 'file', fileName: 'a.txt', content: 'a' }]) }),
    },
    { name: 'GET /attachments/:id/download', probe: (id) => ({ method: 'GET', url: `/attachments/${id}/download` }) },
    { name: 'DELETE /attachments/:id', probe: (id) => ({ method: 'DELETE', url: `/attachments/${id}` }) },
    { name: 'GET /tasks/:id/acceptance-criteria', probe: (id) => ({ method: 'GET', url: `/tasks/${id}/acceptance-criteria` }) },
    {
      name: 'POST /tasks/:id/acceptance-criteria',
      probe: (id) => ({ method: 'POST', url: `/tasks/${id}/acceptance-criteria`, payload: '{"text":"c"}', contentType: JSON_TYPE }),
    },
    {
      name: 'PATCH /acceptance-criteria/:id',
      probe: (id) => ({ method: 'PATCH', url: `/acceptance-criteria/${id}`, payload: '{"done":true}', contentType: JSON_TYPE }),
    },
    { name: 'DELETE /acceptance-criteria/:id', probe: (id) => ({ method: 'DELETE', url: `/acceptance-criteria/${id}` }) },
    { name: 'DELETE /integrations/credentials/:id', probe: (id) => ({ method: 'DELETE', url: `/integrations/credentials/${id}` }) },
    { name: 'GET /integrations/credentials/:id/projects', probe: (id) => ({ method: 'GET', url: `/integrations/credentials/${id}/projects` }) },
    { name: 'GET /integrations/:id/tasks', probe: (id) => ({ method: 'GET', url: `/integrations/${id}/tasks` }) },
    { name: 'DELETE /integrations/project-mapping/:id', probe: (id) => ({ method: 'DELETE', url: `/integrations/project-mapping/${id}` }) },
    { name: 'GET /tasks/:id/tracker', probe: (id) => ({ method: 'GET', url: `/tasks/${id}/tracker` }) },
    { name: 'POST /tasks/:id/tracker/sync', probe: (id) => ({ method: 'POST', url: `/tasks/${id}/tracker/sync` }) },
  ];

  const pagedListUrls = () => [
    '/projects',
    `/projects/${project.id}/tasks`,
    `/tasks/${task.id}/comments`,
    `/tasks/${task.id}/attachments`,
    `/tasks/${task.id}/acceptance-criteria`,
  ];

  // ---------------------------------------------------------------------------------------------
  describe('ids in paths', () => {
    it.each([
      ['abc', 400],
      ['1.5', 400],
      ['-1', 400],
      ['+1', 400],
      ['0x10', 400],
      ['1e3', 400],
      ['1,2', 400],
      ['%201', 400],
      ['1%20', 400],
      ['%00', 400],
      ['1%00', 400],
      ['null', 400],
      ['%5B%5D', 400],
      ['1%3Bdrop%20table%20tasks', 400],
      ["1'--", 400],
      ['1%2F2', 400],
      ['%D9%A1%D9%A2', 400], // Arabic-Indic digits ١٢
      ['%EF%BC%91', 400], // fullwidth digit １
      ['%F0%9F%98%80', 400], // an emoji
      ['9'.repeat(31), 400],
      ['0', 404],
      ['00', 404],
      [String(maxId + 1), 404],
      ['9'.repeat(30), 404],
    ])('answers the path id %j with %i and the error shape on every :id route, changing nothing', async (id, status) => {
      const before = await observableState();
      for (const route of idRoutes) {
        const answer = await send(hub, route.probe(id));
        expectRefused(answer, status, status === 404 ? 'not_found' : 'invalid_request');
      }
      expect(await observableState()).toEqual(before);
    });

    it.each([['%'], ['%E0%A4%A'], ['%FF'], ['%C0%80'], ['%ED%A0%80']])(
      'answers the malformed percent-encoding %j in a path id with 400 and the error shape on every :id route',
      async (id) => {
        for (const route of idRoutes) expectRefused(await send(hub, route.probe(id)), 400);
      },
    );

    it('answers an id longer than the router allows with a 4xx and the error shape on every :id route', async () => {
      for (const route of idRoutes) expectClientError(await send(hub, route.probe('9'.repeat(250))));
    });

    it('answers ids that cannot exist in the database with 404, naming the entity', async () => {
      for (const [url, entity] of [
        [`/projects/${maxId}`, 'project'],
        [`/tasks/${maxId}`, 'task'],
        [`/tasks/${maxId}/comments`, 'task'],
        [`/attachments/${maxId}/download`, 'attachment'],
      ] as const) {
        const answer = await json('GET', url);
        expectRefused(answer, 404, 'not_found');
        expect(answer.body.error.message, answer.description).toContain(entity);
      }
    });

    it('answers random bytes as a path id with a 4xx and the error shape, and changes nothing', async () => {
      const before = await observableState();
      const pathId = fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 40 }).map(percentEncodeBytes),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(percentEncodeText),
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }).map(percentEncodeText),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...idRoutes), pathId, async (route, id) => {
          // Digits only could name a real row (00001 is 1): the tables cover those.
          fc.pre(!/^[0-9]*$/.test(decodeURIComponentSafely(id)));
          // "." and ".." (also as %2E) are dot segments: URL parsing resolves them, so
          // /projects/%2E is /projects/ (the list), not a project id.
          fc.pre(!['.', '..'].includes(decodeURIComponentSafely(id)));
          expectClientError(await send(hub, route.probe(id)));
        }),
        { numRuns: 100 },
      );
      expect(await observableState()).toEqual(before);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('query strings', () => {
    it.each([
      ['limit=0', 400],
      ['limit=-1', 400],
      ['limit=5001', 400],
      ['limit=1.5', 400],
      ['limit=abc', 400],
      ['limit=', 400],
      ['limit=%00', 400],
      ['limit=1e309', 400],
      ['limit=Infinity', 400],
      ['limit=NaN', 400],
      ['limit=1&limit=2', 400],
      ['limit=' + '9'.repeat(400), 400],
      ['limit=%E2%80%AE5', 400],
      ['limit=1%', 400],
      ['offset=-1', 400],
      ['offset=2147483648', 400],
      ['offset=1.5', 400],
      ['offset=%FF', 400],
      ['offset=99999999999999999999', 400],
      ['offset=2147483647', 200],
      ['limit[]=1', anythingButServerError],
      ['%=%', anythingButServerError],
      ['&&&==&', anythingButServerError],
      ['unknown=%00&%00=1', anythingButServerError],
      ['__proto__=1&constructor=2', anythingButServerError],
    ] as const)('answers ?%s on every paged list with %s', async (query, status) => {
      for (const url of pagedListUrls()) expectOutcome(await json('GET', `${url}?${query}`), status);
    });

    it.each([
      ['status=nope', 400],
      ['status=todo,nope', 400],
      ['status=TODO', 400],
      ['status=todo&status=done', 400],
      ['status=%00', 400],
      ['status=' + 'todo,'.repeat(41), 400],
      ['status=todo,,%20done%20', 200],
      ['status=,,,', anythingButServerError],
      ['parent=abc', 400],
      ['parent=0', 400],
      ['parent=-1', 400],
      ['parent=1.5', 400],
      ['parent=2147483648', 400],
      ['parent=99999999999999999999', 400],
      ['parent=NONE', 400],
      ['parent=', 400],
      ['parent=%00', 400],
      ['parent=none', 200],
      ['parent=2147483647', 200],
      ['node=' + 'x'.repeat(101), 400],
      ['node=%00', 400],
      ['node=dev%00', 400],
      ['node=nosuchnode', 404],
      ['node=%27%3B%20drop%20table%20nodes%3B%20--', 404],
      ['node=%F0%9F%98%80', 404],
      ['node=0', 404],
      ['node=2147483647', 404],
      ['q=%00', 400],
      ['q=' + 'x'.repeat(501), 400],
      ['q=%25', 200],
      ['q=_', 200],
      ['q=%5C', 200],
      ['q=%27%3B%20drop%20table%20tasks%3B%20--', 200],
      ['q=%ED%A0%80', anythingButServerError],
      ['q=%FF%FE', anythingButServerError],
      ['q=%', anythingButServerError],
    ] as const)("answers a project's task list with ?%s with %s", async (query, status) => {
      expectOutcome(await json('GET', `/projects/${project.id}/tasks?${query}`), status);
    });

    it.each([['node=99999999999'], ['node=2147483648'], ['node=' + '9'.repeat(100)]])(
      "answers a project's task list filtered by a node id too large to exist (?%s) with 400 or 404, not a 500",
      async (query) => {
        const answer = await json('GET', `/projects/${project.id}/tasks?${query}`);
        expectClientError(answer);
        expect([400, 404], answer.description).toContain(answer.status);
      },
    );

    it('refuses a download ?inline= that is not a boolean, and still serves ?inline=true', async () => {
      for (const query of ['inline=yes', 'inline=TRUE', 'inline=%00', 'inline=1&inline=0', 'inline=']) {
        expectRefused(await json('GET', `/attachments/${attachment.id}/download?${query}`), 400, 'invalid_request');
      }
      const served = await json('GET', `/attachments/${attachment.id}/download?inline=true`);
      expect(served.status, served.description).toBe(200);
      expect(served.raw.body).toBe('fixture bytes');
    });

    it('ignores garbage query strings on the routes that take none', async () => {
      for (const url of ['/nodes', '/health', '/health/full']) {
        for (const query of ['limit=abc', '%00=%00', '%=%', 'x=' + '%FF'.repeat(50)]) {
          const answer = await json('GET', `${url}?${query}`);
          expectNoServerError(answer);
          expect([200, 503], answer.description).toContain(answer.status);
        }
      }
    });

    it('never answers a 500 to random query strings on any list, and changes nothing', async () => {
      const before = await observableState();
      const queryKey = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('limit', 'offset', 'status', 'parent', 'node', 'q', 'inline', '__proto__') },
        { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 8 }).map(percentEncodeText) },
      );
      const queryValue = fc.oneof(
        fc.uint8Array({ maxLength: 30 }).map(percentEncodeBytes),
        fc.string({ unit: 'grapheme', maxLength: 20 }).map(percentEncodeText),
        fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
        fc.noBias(fc.bigInt({ min: 0n, max: 10n ** 12n })).map(String),
        fc.constantFrom('none', 'todo', 'done,todo', 'dev', '1', '0', '-0', '1e3', '0x10', ''),
      );
      const listUrls = [...pagedListUrls(), '/nodes', `/attachments/${attachment.id}/download`];
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }), async (pairs) => {
          const query = pairs.map(([key, value]) => `${key}=${value}`).join('&');
          for (const url of listUrls) expectNoServerError(await json('GET', `${url}?${query}`));
        }),
        { numRuns: 100 },
      );
      expect(await observableState()).toEqual(before);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('body fields', () => {
    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s refuses each field with a wrong type or value with 400 naming the field, and stores nothing',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        for (const [field, values] of Object.entries(route.wrongValues)) {
          for (const value of values) {
            const answer = await json(route.method, route.url(), { ...route.validBody(), [field]: value });
            expectRefused(answer, 400);
            expect(answer.body.error.message, answer.description).toContain(field);
          }
        }
        expect(await observableState()).toEqual(before);
      },
    );

    it.each(bodyRoutes.filter((route) => route.required.length > 0).map((route) => [route.name]))(
      '%s refuses a body missing a required field with 400 naming it, and stores nothing',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        for (const field of route.required) {
          const { [field]: _missing, ...body } = route.validBody();
          const answer = await json(route.method, route.url(), body);
          expectRefused(answer, 400, 'invalid_request');
          expect(answer.body.error.message, answer.description).toContain(field);
        }
        expectRefused(await json(route.method, route.url(), {}), 400, 'invalid_request');
        expect(await observableState()).toEqual(before);
      },
    );

    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s refuses unknown fields with 400 naming them, and stores nothing',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        for (const extra of [{ bogus: 1 }, { id: 1 }, { created_at: '2020-01-01' }, { Title: 'x', NAME: 'x' }, { '': 1 }]) {
          const answer = await json(route.method, route.url(), { ...route.validBody(), ...extra });
          expectRefused(answer, 400, 'invalid_request');
          for (const key of Object.keys(extra).filter(Boolean)) expect(answer.body.error.message, answer.description).toContain(key);
        }
        expect(await observableState()).toEqual(before);
      },
    );

    it.each([
      ['POST /projects', 'name', 200],
      ['PATCH /projects/:id', 'name', 200],
      ['POST /projects', 'workspace_path', 500],
      ['POST /tasks', 'title', 500],
      ['POST /tasks', 'description', 200_000],
      ['POST /tasks', 'node', 100],
      ['PATCH /tasks/:id', 'title', 500],
      ['PATCH /tasks/:id', 'description', 200_000],
      ['POST /tasks/:id/comments', 'body', 200_000],
      ['POST /tasks/:id/comments', 'author', 100],
      ['PATCH /comments/:id', 'body', 200_000],
      ['POST /tasks/:id/acceptance-criteria', 'text', 2000],
      ['POST /tasks/:id/acceptance-criteria', 'check', 4000],
      ['POST /tasks/:id/acceptance-criteria', 'check_command', 4000],
      ['PATCH /acceptance-criteria/:id', 'text', 2000],
      ['PATCH /acceptance-criteria/:id', 'check', 4000],
      ['PATCH /acceptance-criteria/:id', 'check_command', 4000],
    ] as const)('%s refuses a %s one character over its %i-character limit with 400, and stores nothing', async (name, field, max) => {
      const route = bodyRouteByName(name);
      const before = await observableState();
      for (const character of ['x', 'é']) {
        const answer = await json(route.method, route.url(), { ...route.validBody(), [field]: character.repeat(max + 1) });
        expectRefused(answer, 400, 'invalid_request');
        expect(answer.body.error.message, answer.description).toContain(field);
      }
      expect(await observableState()).toEqual(before);
    });

    it('accepts text exactly at each limit and reads it back whole', async () => {
      const title = 't'.repeat(500);
      const description = 'd'.repeat(200_000);
      const newTask = await created('POST', '/tasks', { project_id: project.id, title, description });
      expect((await json('GET', `/tasks/${newTask.id}`)).body).toMatchObject({ title, description });
      const note = await created('POST', `/tasks/${newTask.id}/comments`, { body: 'b'.repeat(200_000), author: 'a'.repeat(100) });
      expect(note.body).toHaveLength(200_000);
      expect(note.author).toHaveLength(100);
      const check = await created('POST', `/tasks/${newTask.id}/acceptance-criteria`, { text: 'c'.repeat(2000), check: 'k'.repeat(4000) });
      expect((await findIn(`/tasks/${newTask.id}/acceptance-criteria`, check.id)).check).toHaveLength(4000);
      const nested = 'ab/'.repeat(166) + 'ab';
      expect(nested).toHaveLength(500);
      const named = await created('POST', '/projects', { name: (nextName('at limit') + 'n'.repeat(200)).slice(0, 200), workspace_path: nested });
      expect(named.workspace_path).toBe(nested);
    });

    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s answers a body over the 4 MiB limit with 413 payload_too_large, and stores nothing',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        const payload = JSON.stringify({ ...route.validBody(), padding: 'x'.repeat(bodyLimitBytes) });
        expectRefused(await send(hub, { method: route.method, url: route.url(), payload, contentType: JSON_TYPE }), 413, 'payload_too_large');
        expectRefused(await send(hub, { method: route.method, url: route.url(), payload, contentType: 'text/plain' }), 413, 'payload_too_large');
        expect(await observableState()).toEqual(before);
      },
    );

    it.each([
      ['NUL', '\u0000'],
      ['a lone high surrogate', '\ud800'],
      ['a lone low surrogate', '\udc00'],
      ['a reversed surrogate pair', '\udc00\ud800'],
    ])('refuses %s in every text field and in environment/settings keys and values with 400, storing nothing', async (_label, bad) => {
      const cases: [string, Record<string, unknown>][] = [
        ['POST /projects', { name: `name ${bad} x` }],
        ['POST /projects', { workspace_path: `path${bad}x` }],
        ['POST /projects', { environment: { key: `value ${bad}` } }],
        ['POST /projects', { environment: { [`key${bad}`]: 'value' } }],
        ['POST /projects', { environment: { deep: [{ list: [`${bad}`] }] } }],
        ['POST /projects', { environment: { deep: { [`${bad}`]: 1 } } }],
        ['POST /projects', { settings: { [bad]: bad } }],
        ['PATCH /projects/:id', { name: `name ${bad}` }],
        ['PATCH /projects/:id', { environment: { key: bad } }],
        ['PATCH /projects/:id', { settings: { [`k${bad}`]: true } }],
        ['POST /tasks', { title: `title ${bad}` }],
        ['POST /tasks', { description: `description ${bad}` }],
        ['POST /tasks', { node: `dev${bad}` }],
        ['POST /tasks', { acceptance_criteria: [`criterion ${bad}`] }],
        ['POST /tasks', { acceptance_criteria: [{ text: 'ok', check: `run ${bad}` }] }],
        ['PATCH /tasks/:id', { title: bad + 'x' }],
        ['PATCH /tasks/:id', { description: bad }],
        ['POST /tasks/:id/comments', { body: `body ${bad}` }],
        ['POST /tasks/:id/comments', { author: `author ${bad}` }],
        ['PATCH /comments/:id', { body: `body ${bad}` }],
        ['POST /tasks/:id/acceptance-criteria', { text: `text ${bad}` }],
        ['POST /tasks/:id/acceptance-criteria', { check: `echo ${bad}` }],
        ['POST /tasks/:id/acceptance-criteria', { check_command: `echo ${bad}` }],
        ['PATCH /acceptance-criteria/:id', { check: `echo ${bad}` }],
        ['PATCH /acceptance-criteria/:id', { check_command: `echo ${bad}` }],
      ];
      const before = await observableState();
      for (const [name, fields] of cases) {
        const route = bodyRouteByName(name);
        expectRefused(await json(route.method, route.url(), { ...route.validBody(), ...fields }), 400, 'invalid_request');
      }
      expect(await observableState()).toEqual(before);
    });

    it('refuses a workspace folder name longer than the file system allows with 400, creating nothing', async () => {
      const before = await observableState();
      const foldersBefore = readdirSync(hub.services.config.workspacesDir).sort();
      for (const workspace_path of ['a'.repeat(256), '😀'.repeat(100), `ok/${'b'.repeat(300)}/deeper`]) {
        expectRefused(await json('POST', '/projects', { name: nextName('long folder'), workspace_path }), 400);
        expectRefused(await json('PATCH', `/projects/${project.id}`, { workspace_path }), 400);
      }
      expect(await observableState()).toEqual(before);
      expect(readdirSync(hub.services.config.workspacesDir).sort()).toEqual(foldersBefore);
    });

    it('stores SQL-looking and exotic text verbatim in every text field and reads it back identical', async () => {
      for (const [index, text] of trickyTexts.entries()) {
        const label = text.trim();
        const environment = { [text]: text, nested: { list: [text, { [label]: [text] }] } };
        const newProject = await created('POST', '/projects', {
          name: `${index} ${text}`,
          workspace_path: `verbatim-${kind}-${index}`,
          environment,
        });
        const readProject = (await json('GET', `/projects/${newProject.id}`)).body;
        expect(readProject).toEqual(newProject);
        expect(readProject.name).toBe(`${index} ${text}`.trim());
        expect(readProject.environment).toEqual(environment);

        const newTask = await created('POST', '/tasks', {
          project_id: newProject.id,
          title: text,
          description: text,
          acceptance_criteria: [text, { text, check: text }],
        });
        const readTask = (await json('GET', `/tasks/${newTask.id}`)).body;
        expect(readTask).toEqual(newTask);
        expect(readTask).toMatchObject({ title: label, description: text });

        const note = await created('POST', `/tasks/${newTask.id}/comments`, { body: text, author: text });
        expect((await list(`/tasks/${newTask.id}/comments`)).items).toEqual([note]);
        expect(note).toMatchObject({ body: text, author: label });

        const criteria = (await list(`/tasks/${newTask.id}/acceptance-criteria`)).items;
        expect(criteria.map((item) => [item.text, item.check])).toEqual([
          [label, null],
          [label, text],
        ]);

        const patched = await json('PATCH', `/tasks/${newTask.id}`, { description: `${text}${text}` });
        expect(patched.status, patched.description).toBe(200);
        expect((await json('GET', `/tasks/${newTask.id}`)).body.description).toBe(`${text}${text}`);

        const found = await json('GET', `/projects/${newProject.id}/tasks?q=${percentEncodeText(label)}`);
        expect(found.status, found.description).toBe(200);
        expect(found.body.map((item: { id: number }) => item.id)).toEqual([newTask.id]);
      }
    });

    it('keeps a workspace folder named like SQL verbatim', async () => {
      const workspace_path = "'; drop table tasks; --";
      const newProject = await created('POST', '/projects', { name: nextName('sql folder'), workspace_path });
      expect(newProject.workspace_path).toBe(workspace_path);
      expect(existsSync(path.join(hub.services.config.workspacesDir, workspace_path))).toBe(true);
      expect((await json('GET', `/projects/${newProject.id}`)).body.workspace_path).toBe(workspace_path);
    });

    it('treats %, _ and \\ in a task search as plain characters, not patterns', async () => {
      const home = await created('POST', '/projects', { name: nextName('search'), workspace_path: `search-${kind}` });
      const titles = ['100% done', 'snake_case', 'back\\slash', 'plain control'];
      for (const title of titles) await created('POST', '/tasks', { project_id: home.id, title });
      for (const [query, expected] of [
        ['%', ['100% done']],
        ['_', ['snake_case']],
        ['\\', ['back\\slash']],
        ['%_%', []],
        ['100%', ['100% done']],
      ] as const) {
        const found = await json('GET', `/projects/${home.id}/tasks?q=${encodeURIComponent(query)}`);
        expect(found.status, found.description).toBe(200);
        expect(found.body.map((item: { title: string }) => item.title), found.description).toEqual(expected);
      }
    });

    it('accepts environment nested 50 levels deep and reads it back identical', async () => {
      const deepObject = JSON.parse('{"a":'.repeat(50) + '"leaf"' + '}'.repeat(50));
      const deepArray = JSON.parse('['.repeat(50) + '1' + ']'.repeat(50));
      const environment = { object: deepObject, array: deepArray };
      const newProject = await created('POST', '/projects', { name: nextName('deep'), workspace_path: `deep-${unique}`, environment });
      expect((await json('GET', `/projects/${newProject.id}`)).body.environment).toEqual(environment);
    });

    it('accepts an environment with 10 000 keys and reads it back identical', async () => {
      const environment = Object.fromEntries(Array.from({ length: 10_000 }, (_, index) => [`key-${index}`, index]));
      const newProject = await created('POST', '/projects', { name: nextName('wide'), workspace_path: `wide-${unique}`, environment });
      expect((await json('GET', `/projects/${newProject.id}`)).body.environment).toEqual(environment);
    });

    it.each([
      ['objects 100 levels deep', '{"a":'.repeat(100) + '1' + '}'.repeat(100)],
      ['arrays 100 levels deep', '['.repeat(100) + '1' + ']'.repeat(100)],
      ['objects 100 000 levels deep', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)],
      ['arrays 100 000 levels deep', '['.repeat(100_000) + ']'.repeat(100_000)],
    ])('refuses environment and settings of %s with 400, and stores nothing', async (_label, nested) => {
      const before = await observableState();
      for (const field of ['environment', 'settings']) {
        const value = nested.startsWith('{') ? nested : `{"list":${nested}}`;
        const payload = `{"name":"${nextName('too deep')}","${field}":${value}}`;
        expectRefused(await send(hub, { method: 'POST', url: '/projects', payload, contentType: JSON_TYPE }), 400, 'invalid_request');
        const patch = `{"${field}":${value}}`;
        expectRefused(
          await send(hub, { method: 'PATCH', url: `/projects/${project.id}`, payload: patch, contentType: JSON_TYPE }),
          400,
          'invalid_request',
        );
      }
      expect(await observableState()).toEqual(before);
    });

    it('refuses deeply nested JSON in place of a plain field or of the whole body with 400', async () => {
      const deep = '['.repeat(50_000) + ']'.repeat(50_000);
      for (const route of bodyRoutes) {
        expectRefused(await send(hub, { method: route.method, url: route.url(), payload: deep, contentType: JSON_TYPE }), 400, 'invalid_request');
        const field = Object.keys(route.wrongValues)[0]!;
        const payload = `{"${field}":${deep}}`;
        expectRefused(await send(hub, { method: route.method, url: route.url(), payload, contentType: JSON_TYPE }), 400, 'invalid_request');
      }
    });

    it.each([
      ['1e308', 400],
      ['-1e308', 400],
      ['-0', 400],
      ['0', 400],
      ['-1', 400],
      ['1.5', 400],
      ['1e-7', 400],
      ['2147483648', 400],
      ['9007199254740993', 400],
      ['1e400', 400],
      ['"1"', 400],
      ['true', 400],
      [String(maxId), 404],
    ])('answers the id %s in project_id, parent_id and node_id of a body with %i, storing nothing', async (literal, status) => {
      const before = await observableState();
      const probes: Probe[] = [
        { method: 'POST', url: '/tasks', payload: `{"project_id":${literal},"title":"numbers"}` },
        { method: 'POST', url: '/tasks', payload: `{"project_id":${project.id},"title":"numbers","parent_id":${literal}}` },
        { method: 'POST', url: '/tasks', payload: `{"project_id":${project.id},"title":"numbers","node_id":${literal}}` },
        { method: 'PATCH', url: `/tasks/${task.id}`, payload: `{"parent_id":${literal}}` },
        { method: 'PATCH', url: `/tasks/${task.id}`, payload: `{"node_id":${literal}}` },
      ];
      for (const probe of probes) {
        expectRefused(await send(hub, { ...probe, contentType: JSON_TYPE }), status, status === 404 ? 'not_found' : 'invalid_request');
      }
      expect(await observableState()).toEqual(before);
    });

    it.each([['1e308'], ['-1e308'], ['1.7976931348623157e308'], ['5e-324'], ['-0'], ['0.1'], ['-2147483649']])(
      'stores the position %s of a task and a criterion and reads it back',
      async (literal) => {
        const expected = Number(literal) + 0; // JSON has no -0: it reads back as 0
        const newTask = await send(hub, {
          method: 'POST',
          url: '/tasks',
          payload: `{"project_id":${project.id},"title":"position ${literal}","position":${literal}}`,
          contentType: JSON_TYPE,
        });
        expect(newTask.status, newTask.description).toBe(201);
        expect((await json('GET', `/tasks/${newTask.body.id}`)).body.position).toBe(expected);
        const check = await send(hub, {
          method: 'POST',
          url: `/tasks/${newTask.body.id}/acceptance-criteria`,
          payload: `{"text":"c","position":${literal}}`,
          contentType: JSON_TYPE,
        });
        expect(check.status, check.description).toBe(201);
        expect(check.body.position).toBe(expected);
        // The next criterion goes after it without overflowing.
        const next = await created('POST', `/tasks/${newTask.body.id}/acceptance-criteria`, { text: 'next' });
        expect(Number.isFinite(next.position)).toBe(true);
      },
    );

    it('refuses positions beyond the range of a double (1e400) with 400', async () => {
      for (const literal of ['1e400', '-1e400']) {
        expectRefused(
          await send(hub, { method: 'POST', url: '/tasks', payload: `{"project_id":${project.id},"title":"x","position":${literal}}`, contentType: JSON_TYPE }),
          400,
          'invalid_request',
        );
        expectRefused(
          await send(hub, { method: 'PATCH', url: `/acceptance-criteria/${criterion.id}`, payload: `{"position":${literal}}`, contentType: JSON_TYPE }),
          400,
          'invalid_request',
        );
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('malformed bodies and content types', () => {
    const malformed = [
      '{',
      '{"name":',
      "{'name':'x'}",
      '{"name":"x",}',
      '{"name":undefined}',
      '{name:"x"}',
      'NaN',
      '{"a":1}{"b":2}',
      '{"name":"x"} trailing',
      '{"name":"x\u0000"}',
      '{"name":"\\x41"}',
      '{"name":"\\u12"}',
      '{"a":01}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":Infinity}',
      '{"a":1e}',
      '[1,]',
      '"unterminated',
      '\u0000',
      '}{',
      'tru',
      '   ',
    ];

    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s answers malformed JSON with 400 invalid_json under any content-type, and stores nothing',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        for (const payload of malformed) {
          for (const contentType of [JSON_TYPE, undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
            expectRefused(await send(hub, { method: route.method, url: route.url(), payload, contentType }), 400, 'invalid_json');
          }
        }
        expect(await observableState()).toEqual(before);
      },
    );

    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s answers JSON that is not an object with 400 invalid_request, and stores nothing',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        for (const payload of ['null', '[]', '1', '-0', '"x"', 'true', '[{"name":"x","title":"x","body":"x"}]', '1e400']) {
          expectRefused(await send(hub, { method: route.method, url: route.url(), payload, contentType: JSON_TYPE }), 400, 'invalid_request');
        }
        expect(await observableState()).toEqual(before);
      },
    );

    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s answers an empty body with 400 invalid_request, whatever the content-type says',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        expectRefused(await send(hub, { method: route.method, url: route.url(), payload: '', contentType: JSON_TYPE }), 400, 'invalid_request');
        expectRefused(await send(hub, { method: route.method, url: route.url() }), 400, 'invalid_request');
        expect(await observableState()).toEqual(before);
      },
    );

    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s accepts a valid JSON body sent with no content-type, text/plain or a form content-type',
      async (name) => {
        const route = bodyRouteByName(name);
        for (const contentType of [undefined, 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded']) {
          const body = route.validBody();
          const answer = await send(hub, { method: route.method, url: route.url(), payload: JSON.stringify(body), contentType });
          expect(answer.status, answer.description).toBe(route.method === 'POST' ? 201 : 200);
          expect(await route.readBack(answer.body)).toEqual(answer.body);
        }
      },
    );

    it.each(bodyRoutes.map((route) => [route.name]))(
      '%s refuses a multipart/form-data body with a 4xx, and stores nothing',
      async (name) => {
        const route = bodyRouteByName(name);
        const before = await observableState();
        const fields = Object.entries(route.validBody()).map(([field, value]) => ({ field, content: String(value) }));
        const bodies = [
          multipart(fields),
          multipart([{ field: 'file', fileName: 'a.json', content: JSON.stringify(route.validBody()), contentType: JSON_TYPE }]),
          { payload: 'garbage', contentType: 'multipart/form-data' },
          { payload: 'garbage', contentType: 'multipart/form-data; boundary=x' },
        ];
        for (const body of bodies) {
          expectClientError(await send(hub, { method: route.method, url: route.url(), ...body }));
        }
        expect(await observableState()).toEqual(before);
      },
    );

    it('refuses a malformed body to a DELETE route with 400 and deletes nothing', async () => {
      const before = await observableState();
      for (const url of [
        `/projects/${project.id}`,
        `/tasks/${task.id}`,
        `/comments/${comment.id}`,
        `/attachments/${attachment.id}`,
        `/acceptance-criteria/${criterion.id}`,
      ]) {
        expectRefused(await send(hub, { method: 'DELETE', url, payload: '{', contentType: JSON_TYPE }), 400, 'invalid_json');
        expectRefused(
          await send(hub, { method: 'DELETE', url, payload: 'x'.repeat(bodyLimitBytes + 1), contentType: JSON_TYPE }),
          413,
          'payload_too_large',
        );
      }
      expect(await observableState()).toEqual(before);
    });

    it('answers unknown routes and methods with 404 route_not_found', async () => {
      for (const probe of [
        { method: 'PUT', url: `/projects/${project.id}` },
        { method: 'DELETE', url: '/nodes' },
        { method: 'DELETE', url: '/projects' },
        { method: 'GET', url: '/tasks' },
        { method: 'PATCH', url: '/tasks' },
        { method: 'GET', url: `/comments/${comment.id}` },
        { method: 'GET', url: '/%F0%9F%98%80' },
        { method: 'GET', url: `/projects/${project.id}/tasks/extra` },
      ] as const) {
        expectRefused(await send(hub, { ...probe, payload: '{}', contentType: JSON_TYPE }), 404, 'route_not_found');
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('the upload route', () => {
    const uploadUrl = () => `/tasks/${task.id}/attachments`;
    const attachmentsNow = async () => ({ listed: await list(`${uploadUrl()}?limit=5000`), files: storedFiles() });

    it('refuses bodies that are not multipart with 415 multipart_required, and stores nothing', async () => {
      const before = await attachmentsNow();
      for (const body of [
        { payload: '{"file":"x"}', contentType: JSON_TYPE },
        { payload: '{"file":"x"}', contentType: 'text/plain' },
        { payload: '{"file":"x"}' },
        { payload: '{"file":"x"}', contentType: 'application/x-www-form-urlencoded' },
      ]) {
        expectRefused(await send(hub, { method: 'POST', url: uploadUrl(), ...body }), 415, 'multipart_required');
      }
      expectRefused(await send(hub, { method: 'POST', url: uploadUrl(), payload: 'file=x', contentType: 'application/x-www-form-urlencoded' }), 415, 'multipart_required');
      expectClientError(await send(hub, { method: 'POST', url: uploadUrl() }));
      expectClientError(await send(hub, { method: 'POST', url: uploadUrl(), payload: '{', contentType: JSON_TYPE }));
      expectClientError(await send(hub, { method: 'POST', url: uploadUrl(), payload: 'x'.repeat(bodyLimitBytes + 1), contentType: JSON_TYPE }));
      expect(await attachmentsNow()).toEqual(before);
    });

    it('refuses an upload without a file with 400 no_files', async () => {
      const before = await attachmentsNow();
      for (const body of [
        { payload: '--x--\r\n', contentType: 'multipart/form-data; boundary=x' },
        { payload: '', contentType: 'multipart/form-data; boundary=x' },
      ]) {
        expectRefused(await upload(task.id, body), 400, 'no_files');
      }
      expect(await attachmentsNow()).toEqual(before);
    });

    it.each([
      ['a file in a field named "files"', [{ field: 'files', fileName: 'a.txt', content: 'a' }]],
      ['a text field', [{ field: 'note', content: 'no file here' }]],
      ['a text field named "file" without a file name', [{ field: 'file', content: 'not a file' }]],
      [
        'a good file followed by a misnamed one',
        [
          { field: 'file', fileName: 'good.txt', content: 'good' },
          { field: 'fiel', fileName: 'typo.txt', content: 'typo' },
        ],
      ],
      [
        'a good file followed by a text field',
        [
          { field: 'file', fileName: 'good.txt', content: 'good' },
          { field: 'comment', content: 'hello' },
        ],
      ],
    ])('refuses an upload with %s with 400 unexpected_field, and keeps none of it', async (_label, parts) => {
      const before = await attachmentsNow();
      expectRefused(await upload(task.id, multipart(parts)), 400, 'unexpected_field');
      expect(await attachmentsNow()).toEqual(before);
    });

    it('refuses a file over ATTACHMENT_MAX_BYTES with 413, and keeps none of the upload', async () => {
      const before = await attachmentsNow();
      const big = Buffer.alloc(attachmentMaxBytes + 1, 0x61);
      expectRefused(await upload(task.id, multipart([{ field: 'file', fileName: 'big.bin', content: big }])), 413);
      const afterSmall = multipart([
        { field: 'file', fileName: 'small.txt', content: 'small' },
        { field: 'file', fileName: 'big.bin', content: big },
      ]);
      expectRefused(await upload(task.id, afterSmall), 413);
      expect(await attachmentsNow()).toEqual(before);
    });

    it('refuses more files or fields than the upload limits allow with 413, and keeps none', async () => {
      const before = await attachmentsNow();
      const files = Array.from({ length: 51 }, (_, index) => ({ field: 'file', fileName: `f${index}.txt`, content: 'x' }));
      expectRefused(await upload(task.id, multipart(files)), 413);
      const fields = Array.from({ length: 21 }, (_, index) => ({ field: `note${index}`, content: 'x' }));
      expectClientError(await upload(task.id, multipart([...fields, { field: 'file', fileName: 'a.txt', content: 'a' }])));
      expect(await attachmentsNow()).toEqual(before);
    });

    it.each([
      ['without a boundary', { payload: 'garbage', contentType: 'multipart/form-data' }],
      ['with garbage instead of parts', { payload: 'garbage', contentType: 'multipart/form-data; boundary=x' }],
      [
        'cut off before the closing boundary',
        {
          payload: '--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello',
          contentType: 'multipart/form-data; boundary=x',
        },
      ],
      [
        'with a boundary that does not match the header',
        { payload: multipart([{ field: 'file', fileName: 'a.txt', content: 'a' }], 'other').payload, contentType: 'multipart/form-data; boundary=x' },
      ],
      [
        'with part headers that never end',
        { payload: '--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n', contentType: 'multipart/form-data; boundary=x' },
      ],
    ])('answers a multipart body %s with a 4xx and the error shape, storing nothing', async (_label, body) => {
      const before = await attachmentsNow();
      expectClientError(await upload(task.id, body));
      expect(await attachmentsNow()).toEqual(before);
    });

    it('keeps only the last segment of a file name with folders or control characters in it', async () => {
      const answer = await upload(task.id, multipart([{ field: 'file', fileName: '../../etc/pa\u0001ss\u202Ewd', content: 'x', contentType: 'text/html; <script>' }]));
      expect(answer.status, answer.description).toBe(201);
      expect(answer.body[0].file_name).toBe('pass\u202Ewd');
      expect(answer.body[0].content_type).not.toContain('<script>');
      const download = await json('GET', answer.body[0].download_url);
      expect(download.status).toBe(200);
      expect(download.raw.body).toBe('x');
      expect((await json('DELETE', `/attachments/${answer.body[0].id}`)).status).toBe(204);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('arbitrary bodies', () => {
    const uploadRoute = {
      name: 'POST /tasks/:id/attachments',
      method: 'POST' as const,
      url: () => `/tasks/${task.id}/attachments`,
      state: async () => ({ listed: await list(`/tasks/${task.id}/attachments?limit=5000`), files: storedFiles() }),
    };
    const anyBodyRoute = fc.constantFrom<Pick<BodyRoute, 'name' | 'method' | 'url' | 'state'>>(...bodyRoutes, uploadRoute);

    it('answers any JSON value as a body with a success or a 4xx error, never a 500; a refusal changes nothing', async () => {
      await fc.assert(
        fc.asyncProperty(anyBodyRoute, fc.jsonValue({ maxDepth: 4, stringUnit: anyCharacter }), async (route, value) => {
          const before = await route.state();
          const answer = await send(hub, { method: route.method, url: route.url(), payload: JSON.stringify(value), contentType: JSON_TYPE });
          expectNoServerError(answer);
          if (answer.status >= 400) expect(await route.state(), answer.description).toEqual(before);
        }),
        { numRuns: 100 },
      );
    });

    it('answers any value serialised under any content-type with a success or a 4xx error, never a 500; a refusal changes nothing', async () => {
      const contentType = fc.constantFrom(undefined, JSON_TYPE, 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/xml');
      await fc.assert(
        fc.asyncProperty(anyBodyRoute, fc.anything({ maxDepth: 3 }), contentType, async (route, value, type) => {
          let payload: string;
          try {
            payload = JSON.stringify(value) ?? String(value);
          } catch {
            payload = String(value);
          }
          const before = await route.state();
          const answer = await send(hub, { method: route.method, url: route.url(), payload, contentType: type });
          expectNoServerError(answer);
          if (answer.status >= 400) expect(await route.state(), answer.description).toEqual(before);
        }),
        { numRuns: 60 },
      );
    });

    it('answers a valid body with one field replaced by any nasty value with a success or a 4xx error, never a 500', async () => {
      const mutation = fc.constantFrom(...bodyRoutes).chain((route) =>
        fc.record({
          route: fc.constant(route),
          field: fc.constantFrom(...Object.keys(route.wrongValues)),
          value: nastyValue,
        }),
      );
      await fc.assert(
        fc.asyncProperty(mutation, async ({ route, field, value }) => {
          const before = await route.state();
          const answer = await json(route.method, route.url(), { ...route.validBody(), [field]: value });
          expectNoServerError(answer);
          if (answer.status >= 400) expect(await route.state(), answer.description).toEqual(before);
          else expect(await route.readBack(answer.body), answer.description).toEqual(answer.body);
        }),
        { numRuns: 100 },
      );
    });

    it('stores any printable text verbatim (labels trimmed) in every text field', async () => {
      const printable = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((text) => text.trim().length > 0);
      await fc.assert(
        fc.asyncProperty(printable, async (text) => {
          const label = text.trim();
          const newTask = await created('POST', '/tasks', { project_id: project.id, title: text, description: text, node: 'dev' });
          expect((await json('GET', `/tasks/${newTask.id}`)).body).toMatchObject({ title: label, description: text });
          const note = await created('POST', `/tasks/${newTask.id}/comments`, { body: text, author: text });
          expect(note).toMatchObject({ body: text, author: label });
          const check = await created('POST', `/tasks/${newTask.id}/acceptance-criteria`, { text, check: text });
          expect(check).toMatchObject({ text: label, check: text });
          const found = await json('GET', `/projects/${project.id}/tasks?q=${percentEncodeText(label)}`);
          expect(found.body.map((item: { id: number }) => item.id), found.description).toContain(newTask.id);
        }),
        { numRuns: 40 },
      );
    });

    it('stores any JSON object of printable text as environment and reads it back identical; refuses settings wfhub does not know', async () => {
      const forbiddenKey = (value: unknown): boolean =>
        Array.isArray(value)
          ? value.some(forbiddenKey)
          : isPlainObject(value) && Object.entries(value).some(([key, item]) => key === '__proto__' || key === 'constructor' || forbiddenKey(item));
      const document = fc
        .dictionary(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }), { maxKeys: 6 })
        .filter((value) => !forbiddenKey(value));
      await fc.assert(
        fc.asyncProperty(document, document, async (environment, settings) => {
          const answer = await json('PATCH', `/projects/${project.id}`, { environment });
          expect(answer.status, answer.description).toBe(200);
          const read = (await json('GET', `/projects/${project.id}`)).body;
          expect(read.environment, answer.description).toEqual(JSON.parse(JSON.stringify(environment)));
          // A key wfhub does not know is refused, unless it is set to null (which removes it).
          const unknown = Object.entries(settings).filter(
            ([key, value]) => value !== null && !['model', 'auto_commit', 'allow_network', 'max_steps', 'max_run_minutes', 'token_budget', 'isolation', 'base_branch', 'git_remote'].includes(key),
          );
          if (unknown.length > 0) {
            const refused = await json('PATCH', `/projects/${project.id}`, { settings });
            expect(refused.status, refused.description).toBe(400);
            expect((await json('GET', `/projects/${project.id}`)).body.settings).toEqual(read.settings);
          }
        }),
        { numRuns: 40 },
      );
    });
  });
});

function decodeURIComponentSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
