import type { AgentService, PromptPreview } from '../agent/agent-service.js';
import type { Project } from '../projects/project.schema.js';
import type { ProjectService } from '../projects/project.service.js';
import type { Task } from '../tasks/task.schema.js';
import type { PromptPreviewAnswer } from './task-context.schema.js';
import type { TaskService } from '../tasks/task.service.js';
import type { TaskContextService } from './task-context.service.js';
import type { TaskImages } from './task-images.js';
import { taskPromptSections } from './task-prompt.js';

export interface TaskPromptRequest {
  /** A role by name or id; the task's own when absent. */
  node?: string | number;
  model?: string;
  /** What a trigger would add for the run. */
  message?: string;
}

/** The prompt a run of a task would send now, built by the same code as the run's. */
export class TaskPromptPreview {
  constructor(
    private readonly dependencies: {
      tasks: TaskService;
      projects: ProjectService;
      taskContext: TaskContextService;
      taskImages: TaskImages;
      agent: AgentService;
      /** Where a run of the task would work, found without creating anything (a run's checkout). */
      checkoutFor: (project: Project, task: Task) => Promise<{ dir?: string; note?: string }>;
    },
  ) {}

  /** The preview as the API answers it. */
  async answer(taskId: number, request: TaskPromptRequest = {}, signal?: AbortSignal): Promise<PromptPreviewAnswer> {
    const preview = await this.preview(taskId, request, signal);
    return {
      task_id: preview.task_id,
      model: preview.model,
      node: preview.node,
      num_ctx: preview.frame.numCtx,
      protocol: preview.frame.protocol,
      budget: preview.budget,
      task_budget: preview.taskBudget,
      estimated_tokens: preview.estimatedTokens,
      system: preview.system,
      user: preview.user,
      sections: preview.sections,
      trimmed: preview.sections.filter((section) => section.state !== 'kept').map((section) => section.id),
      ...(preview.warning && { warning: preview.warning }),
    };
  }

  async preview(taskId: number, request: TaskPromptRequest = {}, signal?: AbortSignal): Promise<PromptPreview & { task_id: number }> {
    const { tasks, projects, taskContext, taskImages, agent, checkoutFor } = this.dependencies;
    const task = await tasks.get(taskId);
    const project = await projects.get(task.project_id);
    // Read where the run would work (the task's worktree, say), so the git state and files match.
    const checkout = await checkoutFor(project, task);
    const context = await taskContext.of(task, project, { signal, ...(checkout.dir ? { dir: checkout.dir } : { absent: true }) });
    // Images are described now (and the words kept), so the run tells the model the same.
    const images = await taskImages.notes(task.id, { signal });
    const node = request.node ?? task.node_id ?? undefined;
    const preview = await agent.previewPrompt(
      {
        message: context.objective,
        sections: taskPromptSections(context, { message: request.message, network: project.settings.allow_network === true, imageNotes: images.notes }),
        workspace: project.workspace_path,
        ...(checkout.dir && { checkout: { dir: checkout.dir } }),
        ...(request.model && { model: request.model }),
        ...(node !== undefined && { node }),
      },
      { signal, withoutFolder: !checkout.dir },
    );
    const warning = [checkout.note, preview.warning, ...images.warnings.map((entry) => entry.message)].filter(Boolean).join(' ');
    return { ...preview, task_id: task.id, ...(warning && { warning }) };
  }
}
