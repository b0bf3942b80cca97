import { describe, expect, it } from 'vitest';
import { scanDiff } from '../../src/director/secret-scan.js';

const lower = 'abcdefghijklmnopqrstuvwxyz';
const upper = lower.toUpperCase();
const digits = '0123456789';
const alphanumeric = lower + upper + digits;
const hex = digits + 'abcdef';

/**
 * Characters drawn from `alphabet`, the same on every run. The keys below are built from these
 * at run time, so this file holds nothing a secret scanner (this one included) would flag.
 */
function fake(length: number, alphabet = alphanumeric, seed = length): string {
  let state = seed * 7919 + 17;
  let text = '';
  for (let index = 0; index < length; index += 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    text += alphabet[Math.floor(state / 65536) % alphabet.length];
  }
  return text;
}

/** A diff of a changed file: the added lines at `line` of the new file, between context lines. */
function changedFile(file: string, line: number, added: string[]): string {
  return [
    `diff --git a/${file} b/${file}`,
    'index 1111111..2222222 100644',
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${line - 1},2 +${line - 1},${added.length + 2} @@ function context() {`,
    ' before',
    ...added.map((text) => `+${text}`),
    ' after',
    '',
  ].join('\n');
}

/** A diff adding a new file made of `lines`. */
function newFile(file: string, lines: string[]): string {
  return [
    `diff --git a/${file} b/${file}`,
    'new file mode 100644',
    'index 0000000..3333333',
    '--- /dev/null',
    `+++ b/${file}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((text) => `+${text}`),
    '',
  ].join('\n');
}

function redacted(secret: string): string {
  return `${secret.slice(0, 4)}… (${secret.length} characters)`;
}

const awsKeyId = 'AKIA' + fake(16, upper + digits);
const githubToken = 'ghp_' + fake(36);

const cases: { rule: string; secret: string; line: (secret: string) => string; file?: string }[] = [
  { rule: 'aws-access-key-id', secret: awsKeyId, line: (secret) => `const keyId = "${secret}";` },
  { rule: 'aws-access-key-id', secret: 'ASIA' + fake(16, upper + digits, 3), line: (secret) => `AWS_ACCESS_KEY_ID=${secret}` },
  { rule: 'aws-secret-access-key', secret: fake(40, alphanumeric + '/+'), line: (secret) => `aws_secret_access_key = ${secret}` },
  { rule: 'aws-secret-access-key', secret: fake(40, alphanumeric + '/+', 5), line: (secret) => `  secretAccessKey: '${secret}',` },
  ...['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'].map((prefix) => ({
    rule: 'github-token',
    secret: prefix + fake(36, alphanumeric, prefix.charCodeAt(2)),
    line: (secret: string) => `token: ${secret}`,
  })),
  {
    rule: 'github-fine-grained-token',
    secret: 'github_pat_' + fake(22) + '_' + fake(59),
    line: (secret) => `git clone https://${secret}@github.com/acme/app.git`,
  },
  { rule: 'gitlab-token', secret: 'glpat-' + fake(20, alphanumeric + '_-'), line: (secret) => `CI_TOKEN ${secret}` },
  {
    rule: 'slack-token',
    secret: 'xoxb-' + fake(12, digits) + '-' + fake(13, digits) + '-' + fake(24),
    line: (secret) => `slack.connect('${secret}')`,
  },
  {
    rule: 'slack-webhook-url',
    secret: 'https://hooks.slack.com/services/T' + fake(8, upper + digits) + '/B' + fake(10, upper + digits) + '/' + fake(24),
    line: (secret) => `notify: ${secret}`,
  },
  { rule: 'stripe-live-key', secret: 'sk_' + 'live_' + fake(24), line: (secret) => `stripe = Stripe("${secret}")` },
  { rule: 'stripe-live-key', secret: 'rk_' + 'live_' + fake(99), line: (secret) => `stripe = Stripe("${secret}")` },
  { rule: 'google-api-key', secret: 'AIza' + fake(35, alphanumeric + '_-'), line: (secret) => `<script src="https://maps.example.org/js?key=${secret}">` },
  { rule: 'private-key', secret: '-----BEGIN ' + 'RSA PRIVATE KEY-----', line: (secret) => secret },
  { rule: 'private-key', secret: '-----BEGIN ' + 'OPENSSH PRIVATE KEY-----', line: (secret) => secret },
  { rule: 'private-key', secret: '-----BEGIN ' + 'PRIVATE KEY-----', line: (secret) => `const pem = "${secret}\\nMIIE...";` },
  { rule: 'private-key', secret: '-----BEGIN ' + 'PGP PRIVATE KEY BLOCK-----', line: (secret) => secret },
  { rule: 'openai-api-key', secret: 'sk-' + 'proj-' + fake(120, alphanumeric + '_-'), line: (secret) => `OPENAI_API_KEY=${secret}` },
  { rule: 'openai-api-key', secret: 'sk-' + fake(48), line: (secret) => `openai.api_key = "${secret}"` },
  { rule: 'anthropic-api-key', secret: 'sk-' + 'ant-api03-' + fake(95, alphanumeric + '_-'), line: (secret) => `new Anthropic({ apiKey: '${secret}' })` },
  { rule: 'npm-token', secret: 'npm_' + fake(36), line: (secret) => `//registry.npmjs.org/:_authToken=${secret}`, file: '.npmrc' },
  { rule: 'pypi-token', secret: 'pypi-' + 'AgEIcHlwaS5vcmc' + fake(70, alphanumeric + '_-'), line: (secret) => `password = ${secret}`, file: '.pypirc' },
  {
    rule: 'sendgrid-api-key',
    secret: 'SG.' + fake(22, alphanumeric + '_-') + '.' + fake(43, alphanumeric + '_-'),
    line: (secret) => `sgMail.setApiKey("${secret}");`,
  },
  { rule: 'twilio-api-key', secret: 'SK' + fake(32, hex), line: (secret) => `twilio(accountSid, "${secret}")` },
  {
    rule: 'json-web-token',
    secret: 'eyJ' + fake(30, alphanumeric + '_-') + '.eyJ' + fake(60, alphanumeric + '_-') + '.' + fake(43, alphanumeric + '_-'),
    line: (secret) => `Authorization: Bearer ${secret}`,
  },
  { rule: 'generic-secret', secret: fake(24), line: (secret) => `const dbPassword = "${secret}";` },
  { rule: 'generic-secret', secret: fake(32, hex), line: (secret) => `  "api_key": "${secret}",`, file: 'config/settings.json' },
  { rule: 'generic-secret', secret: fake(20, alphanumeric + '!@#%'), line: (secret) => `SESSION_SECRET: '${secret}'`, file: 'deploy.yaml' },
  { rule: 'env-file-secret', secret: fake(28), line: (secret) => `DATABASE_PASSWORD=${secret}`, file: '.env' },
  { rule: 'env-file-secret', secret: fake(30, hex), line: (secret) => `export SIGNING_SECRET=${secret} # rotated`, file: 'deploy/production.env' },
];

describe('secret scan', () => {
  it.each(cases.map((entry) => [entry.rule, entry] as const))('finds a %s in an added line', (_rule, entry) => {
    const file = entry.file ?? 'src/settings.ts';
    const findings = scanDiff(changedFile(file, 41, ['const unrelated = 1;', entry.line(entry.secret)]));
    expect(findings).toEqual([
      expect.objectContaining({ rule: entry.rule, file, line: 42, excerpt: redacted(entry.secret) }),
    ]);
    expect(findings[0]!.description).not.toBe('');
  });

  it('never puts the whole secret in a finding', () => {
    const findings = scanDiff(newFile('.env', cases.map((entry) => entry.line(entry.secret))));
    expect(findings).toHaveLength(cases.length);
    const text = JSON.stringify(findings);
    for (const entry of cases) expect(text).not.toContain(entry.secret.slice(0, 12));
  });

  it('reports each secret once, under its specific rule, when a generic rule also fits', () => {
    const findings = scanDiff(newFile('src/app.ts', [`const GITHUB_TOKEN = "${githubToken}";`]));
    expect(findings.map((finding) => finding.rule)).toEqual(['github-token']);
  });

  it('reports several secrets on one line', () => {
    const findings = scanDiff(newFile('creds.txt', [`${awsKeyId} ${githubToken}`]));
    expect(findings.map((finding) => finding.rule).sort()).toEqual(['aws-access-key-id', 'github-token']);
  });

  it('does not report removed or context lines', () => {
    const diff = [
      'diff --git a/src/config.ts b/src/config.ts',
      'index 1111111..2222222 100644',
      '--- a/src/config.ts',
      '+++ b/src/config.ts',
      '@@ -1,4 +1,4 @@',
      ` const keyId = "${awsKeyId}";`,
      `-const token = "${githubToken}";`,
      '+const token = process.env.GITHUB_TOKEN;',
      ' export {};',
      ` // ${'-----BEGIN ' + 'RSA PRIVATE KEY-----'}`,
      '',
    ].join('\n');
    expect(scanDiff(diff)).toEqual([]);
  });

  it('does not report placeholders, environment references or ordinary words', () => {
    const lines = [
      `const password = "changeme-changeme-1";`,
      `const apiKey = "xxxxxxxxxxxxxxxxxxxxxxxx";`,
      'const token = `${process.env.API_TOKEN}`;',
      `const secret = "\${SECRET_FROM_VAULT_2}";`,
      `api_key: "your-api-key-goes-here-123"`,
      `password: "example-password-123456"`,
      `const token = process.env.GITHUB_TOKEN;`,
      `const token = "process.env.TOKEN_VALUE_1";`,
      `client_secret = "<client-secret-from-portal-1>"`,
      `password = "aaaaaaaaaaaaaaaa1"`,
      `const token = 'mcp-test-token-1234';`,
      `const config = { token: 'token-0123456789' };`,
      `const apiKey = 'sk-fake-key-for-the-logs-9';`,
      `const tokenHeader = "X-Request-Token-Name";`,
      `const tokenUrl = "https://auth.acme.io/oauth2/v1/token";`,
      `const secretPath = "/var/run/secrets/token1.txt";`,
      `const keyId = "${'AKIA' + 'IOSFODNN7' + 'EXAMPLE'}";`,
      `const token = "${'ghp_' + '0'.repeat(36)}";`,
    ];
    expect(scanDiff(newFile('src/placeholders.ts', lines))).toEqual([]);
    expect(scanDiff(newFile('.env', ['API_TOKEN=${OTHER_TOKEN}', 'API_TOKEN=$OTHER_TOKEN_VALUE_1', 'GITHUB_TOKEN=changeme1234567890']))).toEqual([]);
  });

  it('reads unquoted assignments only in environment files', () => {
    const line = `DATABASE_PASSWORD=${fake(28)}`;
    expect(scanDiff(newFile('notes.md', [line]))).toEqual([]);
    expect(scanDiff(newFile('.env.local', [line]))).toHaveLength(1);
  });

  it('numbers lines in several files and several hunks from the hunk headers', () => {
    const diff = [
      'diff --git a/src/a.ts b/src/a.ts',
      'index 1111111..2222222 100644',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -3,3 +3,4 @@ export function a() {',
      ' one',
      '-two',
      `+const first = "${awsKeyId}";`,
      `+const second = "${githubToken}";`,
      ' three',
      '@@ -20,2 +21,3 @@ export function b() {',
      ' twenty',
      `+${'-----BEGIN ' + 'EC PRIVATE KEY-----'}`,
      '\\ No newline at end of file',
      ' twenty-one',
      'diff --git a/old.ts b/old.ts',
      'deleted file mode 100644',
      'index 4444444..0000000',
      '--- a/old.ts',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
      `-const token = "${githubToken}";`,
      `-const keyId = "${awsKeyId}";`,
      ...newFile('src/b.ts', ['// header', '', `const key = "${awsKeyId}";`]).split('\n'),
    ].join('\n');
    expect(scanDiff(diff).map(({ rule, file, line }) => ({ rule, file, line }))).toEqual([
      { rule: 'aws-access-key-id', file: 'src/a.ts', line: 4 },
      { rule: 'github-token', file: 'src/a.ts', line: 5 },
      { rule: 'private-key', file: 'src/a.ts', line: 22 },
      { rule: 'aws-access-key-id', file: 'src/b.ts', line: 3 },
    ]);
  });

  it('takes an added line that starts with "++" for an added line, not a file header', () => {
    const diff = newFile('notes.txt', ['first', `++ ${githubToken}`]);
    expect(scanDiff(diff)).toEqual([expect.objectContaining({ rule: 'github-token', file: 'notes.txt', line: 2 })]);
  });

  it('gives the path of a renamed file, and of names with spaces or quotes', () => {
    const renamed = [
      'diff --git a/old name.ts b/new name.ts',
      'similarity index 90%',
      'rename from old name.ts',
      'rename to new name.ts',
      '--- a/old name.ts',
      '+++ b/new name.ts\t',
      '@@ -1 +1 @@',
      '-const a = 1;',
      `+const a = "${awsKeyId}";`,
      'diff --git "a/q\\"uote\\303\\251.ts" "b/q\\"uote\\303\\251.ts"',
      '--- /dev/null',
      '+++ "b/q\\"uote\\303\\251.ts"',
      '@@ -0,0 +1 @@',
      `+const a = "${awsKeyId}";`,
      '',
    ].join('\n');
    expect(scanDiff(renamed).map((finding) => finding.file)).toEqual(['new name.ts', 'q"uoteé.ts']);
  });

  it('skips a line carrying the allow marker', () => {
    const diff = newFile('test/fixtures.ts', [
      `const fixtureKey = "${awsKeyId}"; // wfhub:allow-secret`,
      `const realKey = "${awsKeyId}";`,
    ]);
    expect(scanDiff(diff)).toEqual([expect.objectContaining({ rule: 'aws-access-key-id', line: 2 })]);
  });

  it('ignores binary files and reads the files after them', () => {
    const diff = [
      'diff --git a/logo.png b/logo.png',
      'new file mode 100644',
      'index 0000000..5555555',
      'Binary files /dev/null and b/logo.png differ',
      'diff --git a/data.bin b/data.bin',
      'index 6666666..7777777 100644',
      'GIT binary patch',
      'literal 12',
      `+${awsKeyId}`,
      '',
      ...newFile('src/c.ts', [`const key = "${awsKeyId}";`]).split('\n'),
    ].join('\n');
    expect(scanDiff(diff).map(({ file, line }) => ({ file, line }))).toEqual([{ file: 'src/c.ts', line: 1 }]);
  });

  it('finds nothing in an empty diff', () => {
    expect(scanDiff('')).toEqual([]);
  });
});
