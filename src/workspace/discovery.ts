import { access } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { readSmallFile } from './small-file.js';

/** A command that tests, builds, lints or starts the project, and the file that says so. */
export interface DiscoveredCommand {
  kind: 'test' | 'build' | 'lint' | 'start' | 'other';
  command: string;
  source: string;
}

/** What a workspace's manifests say: frameworks, and how to test, build, lint and start it. */
export interface Manifests {
  manifests: string[];
  frameworks: string[];
  commands: DiscoveredCommand[];
}

/** Manifests are small; a bigger file is not one (or not worth reading for a prompt). */
const maxManifestBytes = 512 * 1024;

/** Dependencies worth naming, by the name a manifest lists them under. */
const knownFrameworks: Record<string, string> = {
  react: 'React', next: 'Next.js', vue: 'Vue', nuxt: 'Nuxt', svelte: 'Svelte', '@sveltejs/kit': 'SvelteKit',
  '@angular/core': 'Angular', 'solid-js': 'Solid', astro: 'Astro', vite: 'Vite', express: 'Express',
  fastify: 'Fastify', koa: 'Koa', hono: 'Hono', '@nestjs/core': 'NestJS', electron: 'Electron',
  'react-native': 'React Native', typescript: 'TypeScript', vitest: 'Vitest', jest: 'Jest', mocha: 'Mocha',
  '@playwright/test': 'Playwright', prisma: 'Prisma', 'drizzle-orm': 'Drizzle', tailwindcss: 'Tailwind CSS',
  django: 'Django', flask: 'Flask', fastapi: 'FastAPI', pytest: 'pytest', sqlalchemy: 'SQLAlchemy',
  pydantic: 'Pydantic', numpy: 'NumPy', pandas: 'pandas', torch: 'PyTorch', streamlit: 'Streamlit',
  'github.com/gin-gonic/gin': 'Gin', 'github.com/labstack/echo/v4': 'Echo', 'github.com/gofiber/fiber/v2': 'Fiber',
  'github.com/spf13/cobra': 'Cobra', 'github.com/stretchr/testify': 'testify',
  axum: 'Axum', 'actix-web': 'Actix Web', rocket: 'Rocket', tokio: 'Tokio', serde: 'Serde', clap: 'clap',
};

/** package.json scripts by what they do; `dev` and `serve` start the project too. */
const scriptKinds: Record<string, DiscoveredCommand['kind']> = {
  test: 'test', build: 'build', lint: 'lint', start: 'start', dev: 'start', serve: 'start', typecheck: 'lint', check: 'lint', format: 'other',
};

const readSmall = (root: string, name: string) => readSmallFile(path.join(root, name), maxManifestBytes);

/** The package manager a JavaScript project uses, by its `packageManager` field or its lock file. */
async function packageManager(root: string, declared: unknown): Promise<'npm' | 'pnpm' | 'yarn' | 'bun'> {
  const named = String(declared ?? '').split('@', 1)[0];
  if (named === 'pnpm' || named === 'yarn' || named === 'bun' || named === 'npm') return named;
  const exists = (name: string) => access(path.join(root, name)).then(() => true, () => false);
  if (await exists('pnpm-lock.yaml')) return 'pnpm';
  if (await exists('yarn.lock')) return 'yarn';
  if ((await exists('bun.lockb')) || (await exists('bun.lock'))) return 'bun';
  return 'npm';
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The package name of a PEP 508 requirement (`fastapi[all]>=0.100; python_version>"3.8"`). */
function requirementName(requirement: string): string {
  return requirement.trim().split(/[\s<>=!~;[(]/, 1)[0]!.toLowerCase();
}

async function fromPackageJson(root: string, text: string, found: Manifests, frameworks: Set<string>): Promise<void> {
  let manifest: Record<string, unknown>;
  try {
    manifest = record(JSON.parse(text));
  } catch {
    return;
  }
  found.manifests.push('package.json');
  for (const key of ['dependencies', 'devDependencies', 'peerDependencies']) {
    for (const name of Object.keys(record(manifest[key]))) if (knownFrameworks[name]) frameworks.add(knownFrameworks[name]);
  }
  // The package manager packageManager (or the lock file) names runs the scripts.
  const runner = await packageManager(root, manifest.packageManager);
  for (const [name, script] of Object.entries(record(manifest.scripts))) {
    if (typeof script !== 'string') continue;
    const kind = scriptKinds[name];
    if (!kind) continue;
    // `npm test`, `yarn test`, `pnpm test` run the script; `bun test` is bun's own test runner.
    const short = (name === 'test' || name === 'start') && runner !== 'bun';
    const command = short ? `${runner} ${name}` : `${runner} run ${name}`;
    found.commands.push({ kind, command, source: 'package.json' });
  }
}

function fromPyproject(text: string, found: Manifests, frameworks: Set<string>): void {
  let manifest: Record<string, unknown>;
  try {
    manifest = parseToml(text) as Record<string, unknown>;
  } catch {
    return;
  }
  found.manifests.push('pyproject.toml');
  const project = record(manifest.project);
  const tool = record(manifest.tool);
  const poetry = record(tool.poetry);
  const names = new Set<string>();
  for (const requirement of Array.isArray(project.dependencies) ? project.dependencies : []) if (typeof requirement === 'string') names.add(requirementName(requirement));
  for (const group of Object.values(record(project['optional-dependencies']))) {
    for (const requirement of Array.isArray(group) ? group : []) if (typeof requirement === 'string') names.add(requirementName(requirement));
  }
  for (const group of Object.values(record(manifest['dependency-groups']))) {
    for (const requirement of Array.isArray(group) ? group : []) if (typeof requirement === 'string') names.add(requirementName(requirement));
  }
  for (const name of Object.keys(record(poetry.dependencies))) names.add(name.toLowerCase());
  for (const group of Object.values(record(poetry.group))) for (const name of Object.keys(record(record(group).dependencies))) names.add(name.toLowerCase());
  for (const name of names) if (knownFrameworks[name]) frameworks.add(knownFrameworks[name]);
  const runner = tool.poetry ? 'poetry run ' : tool.uv || manifest['dependency-groups'] ? 'uv run ' : '';
  if (tool.pytest || names.has('pytest')) found.commands.push({ kind: 'test', command: `${runner}pytest`, source: 'pyproject.toml' });
  if (tool.ruff || names.has('ruff')) found.commands.push({ kind: 'lint', command: `${runner}ruff check .`, source: 'pyproject.toml' });
  if (tool.mypy || names.has('mypy')) found.commands.push({ kind: 'lint', command: `${runner}mypy .`, source: 'pyproject.toml' });
  for (const [name, target] of Object.entries(record(project.scripts))) {
    if (typeof target === 'string') found.commands.push({ kind: 'start', command: `${runner}${name}`, source: 'pyproject.toml' });
  }
}

function fromGoMod(text: string, found: Manifests, frameworks: Set<string>): void {
  found.manifests.push('go.mod');
  for (const match of text.matchAll(/^\s*(?:require\s+)?([\w.-]+\.[\w.-]+\/\S+)\s+v[\w.+-]+/gm)) {
    const name = match[1]!;
    if (knownFrameworks[name]) frameworks.add(knownFrameworks[name]);
  }
  found.commands.push({ kind: 'test', command: 'go test ./...', source: 'go.mod' }, { kind: 'build', command: 'go build ./...', source: 'go.mod' });
  found.commands.push({ kind: 'lint', command: 'go vet ./...', source: 'go.mod' });
}

function fromCargo(text: string, found: Manifests, frameworks: Set<string>): void {
  let manifest: Record<string, unknown>;
  try {
    manifest = parseToml(text) as Record<string, unknown>;
  } catch {
    return;
  }
  found.manifests.push('Cargo.toml');
  for (const key of ['dependencies', 'dev-dependencies']) {
    for (const name of Object.keys(record(manifest[key]))) if (knownFrameworks[name]) frameworks.add(knownFrameworks[name]);
  }
  found.commands.push({ kind: 'test', command: 'cargo test', source: 'Cargo.toml' }, { kind: 'build', command: 'cargo build', source: 'Cargo.toml' });
  found.commands.push({ kind: 'lint', command: 'cargo clippy', source: 'Cargo.toml' });
}

function fromMakefile(text: string, found: Manifests, name: string): void {
  found.manifests.push(name);
  const targets = new Set<string>();
  for (const match of text.matchAll(/^([A-Za-z][\w-]*)\s*:(?!=)/gm)) targets.add(match[1]!);
  for (const target of targets) {
    const kind = ({ test: 'test', check: 'test', build: 'build', all: 'build', lint: 'lint', run: 'start', start: 'start' } as const)[target as 'test'];
    if (kind) found.commands.push({ kind, command: `make ${target}`, source: name });
  }
}

/**
 * Reads the manifests at a workspace's root. Every read is best effort: a missing or broken
 * manifest says nothing, it does not fail the context.
 */
export async function readManifests(root: string): Promise<Manifests> {
  const found: Manifests = { manifests: [], frameworks: [], commands: [] };
  const frameworks = new Set<string>();
  const [packageJson, pyproject, goMod, cargo, makefile, gnuMakefile] = await Promise.all(
    ['package.json', 'pyproject.toml', 'go.mod', 'Cargo.toml', 'Makefile', 'GNUmakefile'].map((name) => readSmall(root, name)),
  );
  if (packageJson !== undefined) await fromPackageJson(root, packageJson, found, frameworks);
  if (pyproject !== undefined) fromPyproject(pyproject, found, frameworks);
  if (goMod !== undefined) fromGoMod(goMod, found, frameworks);
  if (cargo !== undefined) fromCargo(cargo, found, frameworks);
  if (makefile !== undefined) fromMakefile(makefile, found, 'Makefile');
  else if (gnuMakefile !== undefined) fromMakefile(gnuMakefile, found, 'GNUmakefile');
  found.frameworks = [...frameworks];
  // One command per kind and text: a Makefile's `make test` and npm's `npm test` both stay.
  const seen = new Set<string>();
  found.commands = found.commands.filter((entry) => !seen.has(entry.command) && seen.add(entry.command));
  return found;
}

/**
 * The opening of a README as a short summary: the title and first paragraphs, without badges,
 * images or HTML, cut at a paragraph boundary near `maxChars`.
 */
export function summarizeReadme(text: string, maxChars = 600): string {
  const lines = text
    .replace(/<!--[\s\S]*?-->/g, '')
    .split('\n')
    .filter((line) => !/^\s*(\[!\[|!\[|<img|<p|<\/p|<a |<\/a|<div|<\/div|<br)/i.test(line));
  const paragraphs = lines.join('\n').split(/\n\s*\n/).map((paragraph) => paragraph.trim()).filter(Boolean);
  let summary = '';
  for (const paragraph of paragraphs) {
    if (/^```/.test(paragraph)) continue;
    const next = summary ? `${summary}\n\n${paragraph}` : paragraph;
    if (next.length > maxChars) {
      if (!summary) summary = `${paragraph.slice(0, maxChars).replace(/\s+\S*$/, '')} ...`;
      break;
    }
    summary = next;
  }
  return summary;
}
