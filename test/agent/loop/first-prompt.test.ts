import { describe, expect, it } from 'vitest';
import { firstPrompt } from '../../../src/agent/loop/first-prompt.js';
import type { ToolSpec } from '../../../src/agent/llm/llm-types.js';

const objective = [{ id: 'objective', title: '', body: '# Task: Add a total', required: true, priority: 100 }];
const frame = { numCtx: 2048, maxOutputTokens: 512, protocol: 'native' as const };
const tool = (name: string): ToolSpec => ({ name, description: `Does ${name}. ${'It has many options. '.repeat(40)}`, parameters: { type: 'object', properties: {} } });

describe('a first prompt larger than its window', () => {
  it('fits when the window is large enough, and says nothing', () => {
    const { prompt } = firstPrompt({ frame: { ...frame, numCtx: 32768 }, specs: [tool('read')], sections: objective });
    expect(prompt.overflow).toBeUndefined();
    expect(prompt.user).toContain('# Task: Add a total');
  });

  it("names the role's directive when it is what takes the room", () => {
    const { prompt } = firstPrompt({ frame, specs: [tool('read')], directive: 'Always explain every step in detail. '.repeat(300), sections: objective });
    expect(prompt.overflow).toContain("of them the role's directive");
    expect(prompt.overflow).toContain('Shorten the directive');
  });

  it('does not blame a directive that is not there: the tools take the room', () => {
    const { prompt } = firstPrompt({ frame, specs: ['read', 'write', 'edit', 'bash', 'grep', 'glob'].map(tool), sections: objective });
    expect(prompt.overflow).toContain("wfhub's rules and the tools alone take");
    expect(prompt.overflow).toContain('larger window');
    expect(prompt.overflow).not.toContain('directive');
  });
});
