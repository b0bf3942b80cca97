import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AgentEvent } from '../../agent/loop/agent-events.js';
import { maxId } from '../../core/schema-helpers.js';
import { progressPrinter } from '../agent-progress.js';
import { connect } from '../connect.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { interruptible, wholeNumber, withClient } from '../run-command.js';
import { imageKind } from '../../agent/image-kind.js';
import { maxChatImageBytes, maxChatImages } from '../../chat/chat.schema.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function chatCommand(program: Command) {
  program
    .command('chat <message...>')
    .description("talk with the agent in a project's workspace: it answers, and acts when asked")
    .requiredOption('-p, --project <id|name>', 'the project')
    .option('-c, --continue <conversation>', 'go on with this conversation (its id)', wholeNumber(1, maxId))
    .option('-i, --image <file>', 'an image for the vision model to describe, repeatable', collect)
    .option('-m, --model <model>', "the working model; by default the project's, else WFHUB_MODEL")
    .option('--vision-model <model>', 'the vision model (WFHUB_VISION_MODEL, or one of WFHUB_VISION_MODELS)')
    .option('-n, --node <name>', 'a role whose directive the agent follows')
    .option('--json', 'print every event as a JSON line instead of progress')
    .addHelpText('after', '\nThe answer goes to stdout, progress to stderr. Exit codes: 0 answered, 1 failed, 130 stopped with Ctrl-C.')
    .action(
      async (
        words: string[],
        options: { project: string; continue?: number; image?: string[]; model?: string; visionModel?: string; node?: string; json?: boolean },
      ) => {
        if ((options.image?.length ?? 0) > maxChatImages) throw new Error(`At most ${maxChatImages} images go with one message.`);
        const images = await Promise.all(
          (options.image ?? []).map(async (file) => {
            let bytes: Buffer;
            try {
              bytes = await readFile(file);
            } catch (error) {
              throw new Error(`Cannot read the image ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`, { cause: error });
            }
            if (!imageKind(bytes)) throw new Error(`${file} is not a PNG, JPEG, WebP or GIF image.`);
            if (bytes.length > maxChatImageBytes) throw new Error(`${file} is larger than ${maxChatImageBytes / 1_000_000} MB: scale it down first (1024 px is plenty).`);
            return bytes.toString('base64');
          }),
        );
        const progress = progressPrinter(process.stderr);
        await interruptible('Stopping', async (signal) => {
          try {
            await withClient(connect(configFrom(program.opts<GlobalOptions>())), async (client) => {
              const project = await client.findProject(options.project);
              const reply = await client.chat(
                project.id,
                {
                  message: words.join(' '),
                  ...(options.continue && { conversation_id: options.continue }),
                  ...(images.length && { images }),
                  ...(options.model && { model: options.model }),
                  ...(options.visionModel && { vision_model: options.visionModel }),
                  ...(options.node && { node: options.node }),
                },
                {
                  signal,
                  onEvent: (event) => {
                    if (options.json) return void process.stdout.write(`${JSON.stringify(event)}\n`);
                    if (event.type === 'chat.started') process.stderr.write(`conversation ${event.conversation_id}\n`);
                    else if (event.type === 'vision.described') process.stderr.write(`${event.name}: described by ${event.model}\n`);
                    else if (event.type === 'vision.failed') process.stderr.write(`warning: ${event.name} could not be described by ${event.model}: ${event.message}\n`);
                    else if (event.type !== 'chat.finished') progress(event as AgentEvent);
                  },
                },
              );
              if (!options.json) {
                process.stdout.write(`${reply.content}\n`);
                if (reply.files_changed.length) process.stderr.write(`files changed: ${reply.files_changed.join(', ')}\n`);
                process.stderr.write(`go on with: wfhub chat -p ${project.id} -c ${reply.conversation_id} "..."\n`);
              }
              process.exitCode = reply.status === 'succeeded' ? 0 : reply.status === 'cancelled' ? 130 : 1;
            });
          } catch (error) {
            if (!signal.aborted) throw error;
            process.stdout.write('Stopped.\n');
            process.exitCode = 130;
          }
        });
      },
    );
}
