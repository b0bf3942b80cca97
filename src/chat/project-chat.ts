import type { AgentService } from '../agent/agent-service.js';
import { base64ImageKind } from '../agent/image-kind.js';
import { InvalidInputError } from '../core/errors.js';
import type { AgentEvent } from '../agent/loop/agent-events.js';
import { oneLine } from '../agent/prompt/one-line.js';
import type { PromptSection } from '../agent/prompt/prompt-sections.js';
import type { ProjectService } from '../projects/project.service.js';
import { seesWorkspace, workspaceNotHere } from '../workspace/workspace-presence.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { ChatMessage, ChatRequest } from './chat.schema.js';
import type { ChatService } from './chat.service.js';

/** What a chat streams: its own events around the agent's. */
export type ChatEvent =
  | { type: 'chat.started'; conversation_id: number; message: ChatMessage }
  | { type: 'vision.described'; name: string; model: string; description: string }
  | { type: 'vision.failed'; name: string; model: string; message: string }
  | AgentEvent
  | ({ type: 'chat.finished' } & ChatOutcome);

/** How a chat turn ended: the agent's answer, and what went less well than asked. */
export interface ChatOutcome {
  conversation_id: number;
  message: ChatMessage;
  warnings: { code: string; message: string }[];
  /** The ids of the prompt sections shortened or dropped to fit the window. */
  trimmed: string[];
}

const chatDirective =
  "You are a software engineer chatting with the user about their project, in its workspace. Answer the user's questions directly, " +
  'reading files or running commands when you need to. Change files only when the user asks for it. ' +
  'When you are done, call finish with your answer to the user.';

/** Turns of the conversation told to the agent at most (the newest), and their length in the short form. */
const recentTurns = 12;
const shortTurnChars = 300;

/**
 * A conversation with the agent in a project's workspace: each message is kept, images are
 * described by the vision model first, and the agent sees the conversation so far (trimmed to
 * fit its window like a task's prompt).
 */
export class ProjectChat {
  constructor(
    private readonly dependencies: {
      projects: ProjectService;
      chats: ChatService;
      agent: AgentService;
      workspaces: WorkspaceRoot;
      /** The embedded database: the workspaces dir is this machine's. */
      embedded: boolean;
    },
  ) {}

  /**
   * Checks the request (the project, the conversation, the models) and records the user's message;
   * the returned function does the rest, telling `onEvent` as it goes.
   */
  async open(projectId: number, request: ChatRequest): Promise<(onEvent: (event: ChatEvent) => void | Promise<void>, signal?: AbortSignal) => Promise<ChatOutcome>> {
    const { projects, chats, agent } = this.dependencies;
    const project = await projects.get(projectId);
    // On PostgreSQL the folder may be another machine's: never chat in an empty one made here.
    if (!(await seesWorkspace(project, this.dependencies.workspaces, this.dependencies.embedded))) {
      throw workspaceNotHere(project, this.dependencies.workspaces, 'the agent cannot chat in it from this server');
    }
    for (const [index, base64] of (request.images ?? []).entries()) {
      if (!base64ImageKind(base64)) {
        throw new InvalidInputError('invalid_image', `Image ${index + 1} is not a PNG, JPEG, WebP or GIF image (by its first bytes). Send one of these, as base64.`);
      }
    }
    const visionModel = request.images?.length ? agent.vision.model(request.vision_model) : undefined;
    const existing = request.conversation_id ? await chats.ofProject(project.id, request.conversation_id) : undefined;
    const earlier = existing ? await chats.messages(existing.id) : [];

    // Everything that can be refused (the role, the workspace) is checked before the message is kept.
    const start = await agent.prepare({
      message: request.message,
      workspace: project.workspace_path,
      directive: chatDirective,
      ...(request.model && { model: request.model }),
      ...(request.node !== undefined && { node: request.node }),
    });

    return async (onEvent, signal) => {
      const conversation = existing ?? (await chats.start(project.id, request.message));
      let userMessage = await chats.add(conversation.id, { role: 'user', content: request.message });
      await onEvent({ type: 'chat.started', conversation_id: conversation.id, message: userMessage });

      const images: ChatMessage['images'] = [];
      const warnings: { code: string; message: string }[] = [];
      for (const [index, base64] of (request.images ?? []).entries()) {
        const name = `image ${index + 1}`;
        try {
          const seen = await agent.vision.describe({ name, base64 }, { model: visionModel, signal });
          images.push(seen);
          await onEvent({ type: 'vision.described', ...seen });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          warnings.push({ code: 'image_not_described', message: `${name} could not be described by ${visionModel}: ${message}` });
          await onEvent({ type: 'vision.failed', name, model: visionModel!, message });
        }
      }
      if (images.length) userMessage = await chats.describeImages(userMessage.id, images);

      let result;
      /** What the agent warned of (the image warnings above among them, once it starts), and what it trimmed. */
      let told: ChatOutcome['warnings'] | undefined;
      let trimmed: ChatOutcome['trimmed'] = [];
      const finish = async (reply: ChatMessage): Promise<ChatOutcome> => {
        const outcome = { conversation_id: conversation.id, message: reply, warnings: told ?? warnings, trimmed };
        await onEvent({ type: 'chat.finished', ...outcome });
        return outcome;
      };
      try {
        result = await start({
          sections: this.sections(earlier, request.message, images),
          warnings,
          signal,
          about: { conversation_id: conversation.id },
          onEvent: (event) => {
            if (event.type === 'run.started') {
              told = [];
              trimmed = (event.trimmed_sections ?? []).map((section) => section.id);
            }
            if (event.type === 'run.warning') told?.push({ code: event.code, message: event.message });
            return onEvent(event);
          },
        });
      } catch (error) {
        return finish(await chats.add(conversation.id, { role: 'assistant', content: `The agent could not answer: ${error instanceof Error ? error.message : String(error)}`, status: 'failed' }));
      }
      return finish(
        await chats.add(conversation.id, {
          role: 'assistant',
          content: result.summary || result.stop.message,
          status: result.status,
          model: result.model,
          files_changed: result.files_changed,
          usage: { ...result.usage },
        }),
      );
    };
  }

  /** The conversation so far, the images and the message, fitted like a task's prompt. */
  private sections(earlier: readonly ChatMessage[], message: string, images: ChatMessage['images']): PromptSection[] {
    // An answer that failed or was cancelled is not what the agent said: it is left out, unless
    // the turn changed files (then the agent is told it stopped, and what it changed).
    const answered = (turn: ChatMessage) => turn.role === 'user' || turn.status === 'succeeded' || turn.status === null;
    const turns = earlier.filter((turn) => answered(turn) || turn.files_changed.length > 0).slice(-recentTurns);
    const said = (turn: ChatMessage, max?: number) => {
      if (!answered(turn)) {
        return `You (your turn ${turn.status === 'cancelled' ? 'was stopped' : 'failed'}: ${oneLine(turn.content, 200)}; you had changed ${turn.files_changed.join(', ')})`;
      }
      const who = turn.role === 'user' ? 'User' : 'You';
      const pictures = turn.images.length ? ` [showed ${turn.images.length} image(s): ${turn.images.map((image) => oneLine(image.description, 120)).join('; ')}]` : '';
      return `${who}: ${max ? oneLine(turn.content, max) : turn.content.trim()}${pictures}`;
    };
    const sections: PromptSection[] = [];
    if (turns.length) {
      sections.push({
        id: 'conversation',
        title: 'The conversation so far',
        body: turns.map((turn) => said(turn)).join('\n\n'),
        shorter: [turns.slice(-4).map((turn) => said(turn, shortTurnChars)).join('\n')],
        priority: 70,
      });
    }
    if (images.length) {
      sections.push({
        id: 'images',
        title: 'Images the user sent (as a vision model describes them)',
        body: images.map((image) => `### ${image.name}\n${image.description}`).join('\n\n'),
        priority: 85,
      });
    }
    sections.push({ id: 'message', title: turns.length ? 'The user now says' : '', body: message, required: true, prose: true, priority: 100 });
    return sections;
  }
}
