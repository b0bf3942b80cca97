import { InvalidInputError } from '../core/errors.js';
import type { LlmProvider } from './llm/provider.js';

/** An image to describe: a name to tell it by, and its bytes in base64. */
export interface ImageInput {
  name: string;
  base64: string;
}

export interface ImageDescription {
  name: string;
  description: string;
  model: string;
}

const instruction =
  'Describe this image for a software developer who cannot see it. Say what it shows; copy any text in it word for word ' +
  '(error messages, labels, code); describe layout, colours and components of a user interface, or the boxes and arrows of a ' +
  'diagram. Be factual and concise: at most 200 words.';

/** The longest a description may be; a vision model that rambles is cut here. */
const maxDescriptionChars = 4000;

/**
 * Looks at images with a vision model (the working models are often text-only) and says in
 * words what they show, so any model can work with them.
 */
export class Vision {
  constructor(
    private readonly provider: () => LlmProvider,
    private readonly settings: { defaultModel: string; allowed: readonly string[] },
  ) {}

  /** The vision model a request may use: the default, or one of WFHUB_VISION_MODELS. */
  model(requested?: string): string {
    if (requested === undefined || requested === this.settings.defaultModel) return this.settings.defaultModel;
    if (this.settings.allowed.includes(requested)) return requested;
    throw new InvalidInputError(
      'vision_model_not_allowed',
      `${requested} is not an allowed vision model. The allowed ones are: ${this.settings.allowed.join(', ')}. Add it to WFHUB_VISION_MODELS to allow it.`,
      { vision_model: requested },
    );
  }

  /** Describes one image; an LlmError (server away, model not pulled) is thrown as is. */
  async describe(image: ImageInput, options: { model?: string; signal?: AbortSignal } = {}): Promise<ImageDescription> {
    const model = this.model(options.model);
    let text = '';
    for await (const event of this.provider().chat({
      model,
      messages: [{ role: 'user', content: instruction, images: [image.base64] }],
      maxOutputTokens: 600,
      temperature: 0,
      signal: options.signal,
    })) {
      if (event.type === 'text') text += event.text;
    }
    const description = text.trim().slice(0, maxDescriptionChars);
    return { name: image.name, description: description || '(the vision model said nothing about this image)', model };
  }
}
