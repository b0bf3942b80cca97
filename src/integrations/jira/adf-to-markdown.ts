/** A node of the Atlassian Document Format, as Jira sends descriptions and comments. */
export interface AdfNode {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  content?: AdfNode[];
}

function inline(nodes: AdfNode[] = []): string {
  return nodes.map(inlineNode).join('');
}

function inlineNode(node: AdfNode): string {
  switch (node.type) {
    case 'text': {
      let text = node.text ?? '';
      for (const mark of node.marks ?? []) {
        if (mark.type === 'code') text = `\`${text}\``;
        else if (mark.type === 'strong') text = `**${text}**`;
        else if (mark.type === 'em') text = `*${text}*`;
        else if (mark.type === 'strike') text = `~~${text}~~`;
        else if (mark.type === 'link' && typeof mark.attrs?.href === 'string') text = `[${text}](${mark.attrs.href})`;
      }
      return text;
    }
    case 'hardBreak':
      return '  \n';
    case 'mention':
      return `@${String(node.attrs?.text ?? node.attrs?.id ?? 'someone').replace(/^@/, '')}`;
    case 'emoji':
      return String(node.attrs?.text ?? node.attrs?.shortName ?? '');
    case 'inlineCard':
    case 'blockCard':
      return typeof node.attrs?.url === 'string' ? `<${node.attrs.url}>` : '';
    case 'date':
      return node.attrs?.timestamp ? new Date(Number(node.attrs.timestamp)).toISOString().slice(0, 10) : '';
    case 'status':
      return `[${String(node.attrs?.text ?? '')}]`;
    default:
      // A node not known here still gives its text.
      return node.text ?? inline(node.content);
  }
}

function block(node: AdfNode, indent = ''): string {
  const children = node.content ?? [];
  switch (node.type) {
    case 'paragraph':
      return indent + inline(children);
    case 'heading':
      return `${'#'.repeat(Math.min(6, Math.max(1, Number(node.attrs?.level ?? 1))))} ${inline(children)}`;
    case 'bulletList':
    case 'orderedList':
      return children
        .map((item, index) => {
          const marker = node.type === 'orderedList' ? `${Number(node.attrs?.order ?? 1) + index}. ` : '- ';
          return listItem(item, indent, marker);
        })
        .join('\n');
    case 'taskList':
      return children.map((item) => listItem(item, indent, item.attrs?.state === 'DONE' ? '- [x] ' : '- [ ] ')).join('\n');
    case 'codeBlock': {
      const text = children.map((child) => child.text ?? '').join('');
      const fence = text.includes('```') ? '~~~~' : '```';
      return `${fence}${typeof node.attrs?.language === 'string' ? node.attrs.language : ''}\n${text}\n${fence}`;
    }
    case 'blockquote':
    case 'panel':
      return children.map((child) => block(child)).join('\n\n').split('\n').map((line) => `> ${line}`.trimEnd()).join('\n');
    case 'rule':
      return '---';
    case 'mediaSingle':
    case 'mediaGroup':
      return children.map((media) => `[attachment: ${String(media.attrs?.alt ?? media.attrs?.id ?? 'file')}]`).join(' ');
    case 'table':
      return table(node);
    default:
      return node.text ?? (children.length ? children.map((child) => (child.content || child.type !== 'text' ? block(child, indent) : inlineNode(child))).join('\n\n') : '');
  }
}

function listItem(item: AdfNode, indent: string, marker: string): string {
  const [first, ...rest] = item.content ?? [];
  const head = first ? (first.type === 'paragraph' ? inline(first.content) : block(first, '')) : inline(item.type === 'taskItem' ? item.content : []);
  const nested = rest.map((child) => block(child, `${indent}  `)).join('\n');
  return `${indent}${marker}${item.type === 'taskItem' ? inline(item.content) : head}${nested ? `\n${nested}` : ''}`;
}

function table(node: AdfNode): string {
  const rows = (node.content ?? []).map((row) => (row.content ?? []).map((cell) => (cell.content ?? []).map((child) => inline(child.content)).join(' ').replace(/\|/g, '\\|')));
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((row) => row.length));
  const line = (cells: string[]) => `| ${Array.from({ length: width }, (_, index) => cells[index] ?? '').join(' | ')} |`;
  return [line(rows[0]!), line(Array.from({ length: width }, () => '---')), ...rows.slice(1).map(line)].join('\n');
}

/** Jira's rich text as markdown; unknown node types give their text rather than vanish. */
export function adfToMarkdown(document: AdfNode | null | undefined): string {
  if (!document) return '';
  return (document.content ?? []).map((node) => block(node)).filter((text) => text !== '').join('\n\n').trim();
}
