import path from 'node:path';

const documentExtensions = new Set(['.md', '.mdx', '.markdown', '.rst', '.adoc', '.asciidoc', '.txt']);
const documentFolders = new Set(['docs', 'doc', 'documentation']);
const documentNames = /^(readme|changelog|changes|contributing|usage|history|news)(\..*)?$/i;

/** Whether a changed file is documentation (the documentation role's to change) rather than code. */
export function isDocumentation(file: string): boolean {
  const parts = file.split('/');
  if (parts.slice(0, -1).some((part) => documentFolders.has(part.toLowerCase()))) return true;
  const name = parts.at(-1) ?? file;
  return documentNames.test(name) || documentExtensions.has(path.extname(name).toLowerCase());
}
