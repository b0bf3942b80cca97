import { useQuery } from '@tanstack/react-query';
import type { ModelCallDetail } from '../../../../src/model-calls/model-call.schema.js';
import { routeHash } from '../../app/route.js';
import { api } from '../../shared/api.js';
import { formatBytes, formatCount, formatMs, formatRate } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import { readAnswer, readRequest, type ShownAnswer, type ShownMessage, type ShownRequest } from './model-call-body.js';

/** What an ollama_http entry's data says of its call (the rest is read from /model-calls/{id}). */
export interface CallEntryData {
  call_id: number;
  run_id?: number;
  task_id?: number;
  project_id?: number;
  conversation_id?: number;
  error?: string;
}

export function callEntryData(data: Record<string, unknown> | undefined): CallEntryData | undefined {
  return data && typeof data.call_id === 'number' ? (data as unknown as CallEntryData) : undefined;
}

/** Where the call came from, as links: its run, or its project's chat. */
function OwnerLinks({ data }: { data: CallEntryData }) {
  const { run_id, task_id, project_id, conversation_id } = data;
  if (run_id !== undefined && task_id !== undefined && project_id !== undefined) {
    return (
      <p className="call-owner">
        <a href={routeHash({ projectId: project_id, taskId: task_id, runId: run_id })}>Open run #{run_id}</a> <span className="muted">of task {task_id}</span>
      </p>
    );
  }
  if (conversation_id !== undefined && project_id !== undefined) {
    return (
      <p className="call-owner">
        <a href={routeHash({ projectId: project_id, panel: 'chat' })}>Open the project’s chat</a> <span className="muted">(conversation {conversation_id})</span>
      </p>
    );
  }
  return null;
}

function MessageBody({ message }: { message: ShownMessage }) {
  return (
    <>
      {message.content && <pre className="call-body">{message.content}</pre>}
      {message.extra && <pre className="call-body call-extra">{message.extra}</pre>}
    </>
  );
}

/** How many of a chat's last messages are shown open: what this call added to the conversation. */
const openMessages = 3;

function RequestBody({ shown }: { shown: ShownRequest }) {
  if (shown.kind === 'text') return <pre className="call-body">{shown.text || '(empty)'}</pre>;
  if (shown.kind === 'json') return <pre className="call-body">{shown.pretty}</pre>;
  // Every call sends the whole conversation again: the system prompt and the older messages are folded.
  const firstOpen = Math.max(0, shown.messages.length - openMessages);
  return (
    <>
      <ol className="call-messages" aria-label="Messages">
        {shown.messages.map((message, index) =>
          message.role === 'system' || index < firstOpen ? (
            <li key={index}>
              <details>
                <summary>
                  <span className={`call-role role-${message.role}`}>{message.role}</span>{' '}
                  <span className="muted">{message.content ? `${formatCount(message.content.length)} characters` : 'no text'}</span>
                </summary>
                <MessageBody message={message} />
              </details>
            </li>
          ) : (
            <li key={index}>
              <span className={`call-role role-${message.role}`}>{message.role}</span>
              <MessageBody message={message} />
            </li>
          ),
        )}
      </ol>
      <details className="call-raw">
        <summary>The whole request as JSON</summary>
        <pre className="call-body">{shown.pretty}</pre>
      </details>
    </>
  );
}

function AnswerBody({ shown }: { shown: ShownAnswer }) {
  if (shown.kind === 'text') return <pre className="call-body">{shown.text || '(no answer)'}</pre>;
  const parts = (
    <>
      {shown.thinking && (
        <>
          <span className="call-role">thinking</span>
          <pre className="call-body call-thinking">{shown.thinking}</pre>
        </>
      )}
      {shown.content && <pre className="call-body call-content">{shown.content}</pre>}
      {shown.toolCalls.length > 0 && (
        <>
          <span className="call-role">tool calls</span>
          <pre className="call-body">{JSON.stringify(shown.toolCalls, null, 2)}</pre>
        </>
      )}
    </>
  );
  if (shown.kind === 'json') {
    return (
      <>
        {parts}
        {shown.content || shown.thinking || shown.toolCalls.length > 0 ? (
          <details className="call-raw">
            <summary>The whole answer as JSON</summary>
            <pre className="call-body">{shown.pretty}</pre>
          </details>
        ) : (
          <pre className="call-body">{shown.pretty}</pre>
        )}
      </>
    );
  }
  return (
    <>
      {parts}
      {!shown.content && !shown.thinking && shown.toolCalls.length === 0 && <p className="muted">No text in the answer.</p>}
      {shown.cut && <p className="muted">The middle of a long answer was not kept.</p>}
      {shown.final && (
        <>
          <span className="call-role">final line</span>
          <pre className="call-body">{shown.final}</pre>
        </>
      )}
      <details className="call-raw">
        <summary>
          The stream as received, {formatCount(shown.lines.length)} {shown.lines.length === 1 ? 'line' : 'lines'}
        </summary>
        <ol className="call-lines">
          {shown.lines.map((line, index) => (
            <li key={index}>{line}</li>
          ))}
        </ol>
      </details>
    </>
  );
}

function Facts({ call }: { call: ModelCallDetail }) {
  const tokens = call.prompt_tokens !== null || call.completion_tokens !== null;
  return (
    <dl className="call-facts">
      <div>
        <dt>Status</dt>
        <dd>{call.status ?? 'no answer'}</dd>
      </div>
      <div>
        <dt>Took</dt>
        <dd>
          {formatMs(call.duration_ms)}
          {call.first_byte_ms !== null && <span className="muted"> (first byte {formatMs(call.first_byte_ms)})</span>}
        </dd>
      </div>
      {tokens && (
        <div>
          <dt>Tokens</dt>
          <dd>
            {formatCount(call.prompt_tokens ?? 0)} in + {formatCount(call.completion_tokens ?? 0)} out
          </dd>
        </div>
      )}
      {call.tokens_per_second !== null && (
        <div>
          <dt>Speed</dt>
          <dd>{formatRate(call.tokens_per_second)}</dd>
        </div>
      )}
      <div>
        <dt>Sent</dt>
        <dd>{formatBytes(call.request_bytes)}</dd>
      </div>
      <div>
        <dt>Received</dt>
        <dd>{formatBytes(call.response_bytes)}</dd>
      </div>
      <div>
        <dt>By</dt>
        <dd>{call.source === 'proxy' ? 'a client of /ollama' : 'wfhub’s agent'}</dd>
      </div>
    </dl>
  );
}

/** The bodies read for showing (once per fetched call: `select` is stable). */
const shown = (detail: ModelCallDetail) => ({ detail, request: readRequest(detail.request_body), answer: readAnswer(detail.response_body) });

/**
 * An ollama_http entry opened: the call's request and answer, read once from the server when the
 * entry is first opened, and the way to the run it was part of.
 */
export function ModelCallDetails({ data }: { data: CallEntryData }) {
  const call = useQuery({
    queryKey: queryKeys.modelCall(data.call_id),
    queryFn: () => api<ModelCallDetail>('GET', `/model-calls/${data.call_id}`),
    // A call, once recorded, never changes.
    staleTime: Infinity,
    select: shown,
  });
  return (
    <div className="call-details">
      <OwnerLinks data={data} />
      {data.error && <p className="call-error">{data.error}</p>}
      {call.isPending && <p className="muted">Reading the request and the answer…</p>}
      {call.isError && <p role="alert">{call.error.message}</p>}
      {call.data && (
        <>
          <Facts call={call.data.detail} />
          <section className="call-part" aria-label="Request">
            <h4>Request</h4>
            <RequestBody shown={call.data.request} />
          </section>
          <section className="call-part" aria-label="Answer">
            <h4>Answer</h4>
            <AnswerBody shown={call.data.answer} />
          </section>
        </>
      )}
    </div>
  );
}
