import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { ChatMessage, Conversation } from '../../../../src/chat/chat.schema.js';
import { navigate } from '../../app/route.js';
import { api, ApiError, apiLines } from '../../shared/api.js';
import { formatTime } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useEscape } from '../../shared/use-escape.js';
import { useModels } from '../../shared/use-models.js';
import { Transcript } from '../runs/transcript.js';
import { itemVersion, TranscriptLine } from '../runs/TranscriptLine.js';
import { scaleImage } from './scale-image.js';

const modelKey = 'wfhub.chat.model';

type Picked = { name: string; dataUrl: string; width: number; height: number };
type StreamLine =
  | { type: 'chat.started'; conversation_id: number; message: ChatMessage }
  | { type: 'vision.described' | 'vision.failed'; name: string; model: string; description?: string; message?: string }
  | { type: 'chat.finished'; message: ChatMessage; warnings: { code: string; message: string }[] }
  | { type: 'error'; error: { code: string; message: string } }
  | { type: string; seq: number; at: string };

/** A conversation with the agent in the project's workspace: it answers and acts; images go to the vision model. */
export function ChatPanel({ projectId }: { projectId: number }) {
  const client = useQueryClient();
  const conversations = useQuery({ queryKey: queryKeys.chats(projectId), queryFn: () => api<Conversation[]>('GET', `/projects/${projectId}/chats?limit=100`) });
  const [conversationId, setConversationId] = useState<number | undefined>();
  const conversation = useQuery({
    queryKey: queryKeys.chat(conversationId ?? 0),
    queryFn: () => api<Conversation & { messages: ChatMessage[] }>('GET', `/chats/${conversationId}`),
    enabled: conversationId !== undefined,
  });
  const models = useModels();
  const [model, setModel] = useState(() => localStorage.getItem(modelKey) ?? '');
  useEffect(() => {
    if (model) localStorage.setItem(modelKey, model);
    else localStorage.removeItem(modelKey);
  }, [model]);
  const [text, setText] = useState('');
  const [images, setImages] = useState<Picked[]>([]);
  const [problem, setProblem] = useState<string | undefined>();
  const [notes, setNotes] = useState<string[]>([]);
  const [turn, setTurn] = useState<{ message: string; messageId?: number; transcript: Transcript; version: number } | undefined>();
  const stop = useRef<AbortController | undefined>(undefined);
  const end = useRef<HTMLDivElement>(null);
  const close = useCallback(() => navigate({ projectId }), [projectId]);
  useEscape(close);
  useEffect(() => () => stop.current?.abort(), []);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [turn?.version, conversation.data?.messages.length]);

  const pick = async (files: File[]) => {
    setProblem(undefined);
    try {
      const scaled = await Promise.all(files.map(async (file) => ({ name: file.name, ...(await scaleImage(file)) })));
      setImages((current) => [...current, ...scaled].slice(0, 8));
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  const send = async () => {
    if (!text.trim() || turn) return;
    const controller = new AbortController();
    stop.current = controller;
    const transcript = new Transcript();
    const message = text;
    setTurn({ message, transcript, version: 0 });
    setProblem(undefined);
    setNotes([]);
    let frame: number | undefined;
    const redraw = () => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setTurn((current) => current && { ...current, version: current.version + 1 });
      });
    };
    const body = { message, ...(conversationId !== undefined && { conversation_id: conversationId }), ...(model && { model }), ...(images.length > 0 && { images: images.map((image) => image.dataUrl) }) };
    try {
      await apiLines(
        `/projects/${projectId}/chat`,
        body,
        (raw) => {
          const line = raw as StreamLine;
          if (line.type === 'chat.started' && 'conversation_id' in line) {
            setText('');
            setImages([]);
            setConversationId(line.conversation_id);
            setTurn((current) => current && { ...current, messageId: line.message.id });
            void client.invalidateQueries({ queryKey: queryKeys.chats(projectId) });
          } else if (line.type === 'vision.described' && 'name' in line) setNotes((current) => [...current, `${line.name}: ${line.model} saw ${line.description}`]);
          else if (line.type === 'vision.failed' && 'name' in line) setNotes((current) => [...current, `${line.name}: ${line.message}`]);
          else if (line.type === 'chat.finished' && 'warnings' in line) setNotes((current) => [...current, ...line.warnings.filter((warning) => warning.code !== 'image_not_described').map((warning) => warning.message)]);
          else if (line.type === 'error' && 'error' in line) setProblem(line.error.message);
          else if ('seq' in line && transcript.apply({ seq: line.seq, type: line.type, at: line.at, data: line as unknown as Record<string, unknown> })) redraw();
        },
        controller.signal,
      );
    } catch (error) {
      if (!controller.signal.aborted) setProblem(error instanceof ApiError ? error.message : (error as Error).message);
    } finally {
      if (frame !== undefined) cancelAnimationFrame(frame);
      stop.current = undefined;
      await client.invalidateQueries({ queryKey: queryKeys.chats(projectId) });
      await client.invalidateQueries({ queryKey: ['chats'] });
      setTurn(undefined);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void send();
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter starts a new line.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  const messages = conversationId === undefined ? [] : (conversation.data?.messages ?? []);
  const modelNames = models.data?.map((item) => item.name) ?? [];
  return (
    <aside className="editor chat" role="dialog" aria-label="Chat with the agent">
      <div className="editor-head">
        <label className="conversation-pick">
          <select aria-label="Conversation" value={conversationId ?? ''} onChange={(event) => setConversationId(event.target.value ? Number(event.target.value) : undefined)} disabled={Boolean(turn)}>
            <option value="">New conversation</option>
            {conversations.data?.map((item) => (
              <option key={item.id} value={item.id}>
                {item.title} · {formatTime(item.updated_at)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="icon close" aria-label="Close the chat" onClick={close}>
          ×
        </button>
      </div>
      <ol className="chat-messages" aria-label="Messages">
        {messages.length === 0 && !turn && <li className="empty">Ask the agent about this project, or tell it what to change.</li>}
        {messages.map((message) => (
          <li key={message.id} className={`chat-${message.role}`} aria-label={message.role === 'user' ? 'You' : 'Agent'}>
            <div className="chat-text">{message.content}</div>
            {message.images.map((image) => (
              <p key={image.name} className="muted">
                Image: {image.name} ({image.model}): {image.description}
              </p>
            ))}
            {message.files_changed.length > 0 && <p className="muted">Changed: {message.files_changed.join(', ')}</p>}
            {message.status && message.status !== 'succeeded' && <p className="hint">{message.status}</p>}
          </li>
        ))}
        {turn && (
          <>
            {!messages.some((message) => message.id === turn.messageId) && (
              <li className="chat-user" aria-label="You">
                <div className="chat-text">{turn.message}</div>
              </li>
            )}
            <li className="chat-assistant chat-live" aria-label="Agent, answering">
              <ol className="transcript">
                {turn.transcript.items.map((item, index) => (
                  <TranscriptLine key={index} item={item} version={itemVersion(item)} />
                ))}
                {turn.transcript.items.length === 0 && <li className="muted">Thinking…</li>}
              </ol>
            </li>
          </>
        )}
      </ol>
      {notes.map((note, index) => (
        <p key={index} className="hint">
          {note}
        </p>
      ))}
      <div ref={end} />
      <form className="chat-form" aria-label="Send a message" onSubmit={submit}>
        <label>
          <textarea aria-label="Message" value={text} onChange={(event) => setText(event.target.value)} onKeyDown={onKey} rows={3} placeholder="Message the agent (Enter sends, Shift+Enter for a new line)" />
        </label>
        {images.length > 0 && (
          <ul className="chat-images" aria-label="Images to send">
            {images.map((image, index) => (
              <li key={`${image.name}-${index}`}>
                <img src={image.dataUrl} alt={image.name} title={`${image.width}×${image.height}`} />
                <button type="button" className="icon" aria-label={`Remove ${image.name}`} onClick={() => setImages((current) => current.filter((_, other) => other !== index))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="actions">
          <label className="attach">
            Attach images
            <input
              className="visually-hidden"
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              multiple
              onChange={(event) => {
                void pick([...(event.target.files ?? [])]);
                event.target.value = '';
              }}
            />
          </label>
          <label>
            <select aria-label="Model" value={model} onChange={(event) => setModel(event.target.value)}>
              <option value="">the project's or the default model</option>
              {model && !modelNames.includes(model) && <option value={model}>{model}</option>}
              {modelNames.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          </label>
          {turn ? (
            <button type="button" onClick={() => stop.current?.abort()}>
              Stop
            </button>
          ) : (
            <button type="submit" disabled={!text.trim()}>
              Send
            </button>
          )}
        </div>
        {models.error instanceof ApiError && <p className="hint">Models unavailable: {models.error.message}</p>}
        {problem && <p role="alert">{problem}</p>}
      </form>
    </aside>
  );
}
