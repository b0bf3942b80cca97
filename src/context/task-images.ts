import type { AgentService } from '../agent/agent-service.js';
import { imageKind } from '../agent/image-kind.js';
import type { AttachmentService } from '../attachments/attachment.service.js';
import type { ImageNote } from './task-prompt.js';

/** Image types vision models read. */
const imageTypes = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/webp', 'image/gif']);
/** The first images of a task are shown, no more: each costs a vision call and part of the prompt. */
const maxImages = 4;
const maxImageBytes = 20 * 1024 * 1024;

export interface TaskImageNotes {
  notes: ImageNote[];
  /** Images that could not be described, and why: told at the start of the run. */
  warnings: { code: string; message: string }[];
}

/**
 * What the vision model sees in a task's image attachments. Each image is described once per
 * vision model and the description kept with the attachment, so a preview and the run after it
 * tell the same words and a re-run costs no vision call.
 */
export class TaskImages {
  constructor(private readonly dependencies: { attachments: AttachmentService; agent: AgentService }) {}

  async notes(taskId: number, options: { signal?: AbortSignal } = {}): Promise<TaskImageNotes> {
    const { attachments, agent } = this.dependencies;
    const images = (await attachments.list(taskId, { limit: 1000, offset: 0 })).items.filter((attachment) => imageTypes.has(attachment.content_type.toLowerCase()));
    const notes: ImageNote[] = [];
    const warnings: TaskImageNotes['warnings'] = [];
    if (images.length === 0) return { notes, warnings };
    const model = agent.vision.model();
    for (const image of images.slice(0, maxImages)) {
      if (image.description && image.description_model === model) {
        notes.push({ name: image.file_name, description: image.description });
        continue;
      }
      try {
        const bytes = await attachments.bytes(image.id, maxImageBytes);
        if (!bytes) {
          warnings.push({ code: 'image_not_described', message: `${image.file_name} was not shown to the vision model: it is larger than ${maxImageBytes / 1024 / 1024} MB or its file is missing.` });
          continue;
        }
        if (!imageKind(bytes)) {
          warnings.push({ code: 'image_not_described', message: `${image.file_name} was not shown to the vision model: it is not a PNG, JPEG, WebP or GIF image, whatever its type says.` });
          continue;
        }
        const seen = await agent.vision.describe({ name: image.file_name, base64: bytes.toString('base64') }, { model, signal: options.signal });
        await attachments.recordDescription(image.id, model, seen.description);
        notes.push({ name: image.file_name, description: seen.description });
      } catch (error) {
        options.signal?.throwIfAborted();
        warnings.push({ code: 'image_not_described', message: `${image.file_name} could not be described by ${model}: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    if (images.length > maxImages) warnings.push({ code: 'images_skipped', message: `Only the first ${maxImages} of the task's ${images.length} images were described.` });
    return { notes, warnings };
  }
}
