import { createBashTool, type BashToolOptions } from './bash-tool.js';
import { editTool } from './edit-tool.js';
import { globTool } from './glob-tool.js';
import { grepTool } from './grep-tool.js';
import { readTool } from './read-tool.js';
import type { Tool } from './tool.js';
import { writeTool } from './write-tool.js';

/**
 * The six flat tools an agent works with, in the order they are offered: few and simple, because
 * small models pick the right tool more often from a short list.
 */
export function workspaceTools(options: BashToolOptions = {}): readonly Tool[] {
  return [readTool, writeTool, editTool, globTool, grepTool, createBashTool(options)];
}
