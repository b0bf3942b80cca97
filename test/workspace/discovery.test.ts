import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifests, summarizeReadme } from '../../src/workspace/discovery.js';

let dir: string;
const folderWith = (files: Record<string, string>) => {
  dir = mkdtempSync(path.join(tmpdir(), 'wfhub-discovery-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('reading a workspace\'s manifests', () => {
  it('reads a Python project from pyproject.toml', async () => {
    const found = await readManifests(
      folderWith({
        'pyproject.toml': '[project]\nname = "api"\ndependencies = ["fastapi[all]>=0.100", "SQLAlchemy ~= 2.0"]\n\n[project.optional-dependencies]\ndev = ["pytest>=8", "ruff"]\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',
      }),
    );
    expect(found.manifests).toEqual(['pyproject.toml']);
    expect(found.frameworks).toEqual(expect.arrayContaining(['FastAPI', 'SQLAlchemy', 'pytest']));
    expect(found.commands).toEqual(expect.arrayContaining([{ kind: 'test', command: 'pytest', source: 'pyproject.toml' }, { kind: 'lint', command: 'ruff check .', source: 'pyproject.toml' }]));
  });

  it('reads Poetry, Go, Cargo and a Makefile together', async () => {
    const found = await readManifests(
      folderWith({
        'pyproject.toml': '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.12"\ndjango = "^5"\n[tool.poetry.group.dev.dependencies]\npytest = "^8"\n',
        'go.mod': 'module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.10.0\n\tgithub.com/stretchr/testify v1.9.0 // indirect\n)\n',
        'Cargo.toml': '[package]\nname = "cli"\n[dependencies]\nclap = { version = "4", features = ["derive"] }\ntokio = "1"\n',
        Makefile: 'VAR := 1\n.PHONY: test\ntest:\n\tgo test ./...\nlint: vet\n\tgolangci-lint run\nvet:\n\tgo vet\n',
      }),
    );
    expect(found.manifests).toEqual(['pyproject.toml', 'go.mod', 'Cargo.toml', 'Makefile']);
    expect(found.frameworks).toEqual(expect.arrayContaining(['Django', 'pytest', 'Gin', 'testify', 'clap', 'Tokio']));
    const commands = found.commands.map((entry) => entry.command);
    expect(commands).toEqual(expect.arrayContaining(['poetry run pytest', 'go test ./...', 'cargo test', 'cargo build', 'make test', 'make lint']));
    expect(commands).not.toContain('make VAR');
    expect(new Set(commands).size).toBe(commands.length);
  });

  it('says nothing of a broken or missing manifest instead of failing', async () => {
    const found = await readManifests(folderWith({ 'package.json': '{ not json', 'pyproject.toml': '[[[' }));
    expect(found).toEqual({ manifests: [], frameworks: [], commands: [] });
  });

  it('uses the package manager the project names', async () => {
    const found = await readManifests(folderWith({ 'package.json': JSON.stringify({ packageManager: 'pnpm@9.0.0', scripts: { test: 'vitest', build: 'tsc', dev: 'vite' } }) }));
    expect(found.commands).toEqual([
      { kind: 'test', command: 'pnpm test', source: 'package.json' },
      { kind: 'build', command: 'pnpm run build', source: 'package.json' },
      { kind: 'start', command: 'pnpm run dev', source: 'package.json' },
    ]);
  });
});

describe('summing up a README', () => {
  it('keeps the title and first paragraphs without badges, images or HTML', () => {
    const summary = summarizeReadme('<!-- hidden -->\n# Tool\n\n[![ci](x.svg)](y)\n<p align="center"><img src="logo.png"></p>\n\nDoes one thing well.\n\n```sh\nnpm i tool\n```\n\nMore here.', 600);
    expect(summary).toBe('# Tool\n\nDoes one thing well.\n\nMore here.');
  });

  it('stops at a paragraph boundary near the limit', () => {
    const summary = summarizeReadme(`# T\n\n${'word '.repeat(50)}\n\n${'other '.repeat(200)}`, 300);
    expect(summary.length).toBeLessThanOrEqual(300);
    expect(summary).not.toContain('other');
  });
});

describe('reading manifests an agent may have tampered with', () => {
  it('skips a FIFO, a symlink to a device and a huge file instead of hanging or filling memory', async () => {
    const root = folderWith({ 'Cargo.toml': `[package]\nname = "x"\n# ${'x'.repeat(600 * 1024)}\n` });
    execFileSync('mkfifo', [path.join(root, 'Makefile')]);
    symlinkSync('/dev/zero', path.join(root, 'package.json'));
    symlinkSync('/dev/zero', path.join(root, 'pyproject.toml'));
    const found = await readManifests(root);
    expect(found).toEqual({ manifests: [], frameworks: [], commands: [] });
  });

  it('finds the package manager by its lock file', async () => {
    const root = folderWith({ 'package.json': JSON.stringify({ scripts: { test: 'bun test', build: 'tsc' } }), 'bun.lock': '{}' });
    expect((await readManifests(root)).commands.map((entry) => entry.command)).toEqual(['bun run test', 'bun run build']);
    const yarn = folderWith({ 'package.json': JSON.stringify({ scripts: { test: 'jest', lint: 'eslint .' } }), 'yarn.lock': '' });
    expect((await readManifests(yarn)).commands.map((entry) => entry.command)).toEqual(['yarn test', 'yarn run lint']);
  });
});
