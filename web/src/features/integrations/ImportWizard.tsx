import { useCallback, useEffect, useRef, useState } from 'react';
import { navigate, routeHash } from '../../app/route.js';
import { useEscape } from '../../shared/use-escape.js';
import { CredentialStep } from './CredentialStep.js';
import { ExternalProjectStep } from './ExternalProjectStep.js';
import { ImportProgress } from './ImportProgress.js';
import type { Credential, ExternalProject, Mapping, TrackerInfo } from './integrations-api.js';
import { LocalProjectStep } from './LocalProjectStep.js';
import { ProviderStep } from './ProviderStep.js';
import { TaskSelectionStep } from './TaskSelectionStep.js';
import { useTrackerImport } from './use-tracker-import.js';

type Stage = 'provider' | 'credential' | 'external' | 'local' | 'tasks' | 'import';

const stages: { id: Stage; label: (tracker: TrackerInfo | undefined) => string }[] = [
  { id: 'provider', label: () => 'Tracker' },
  { id: 'credential', label: () => 'Sign in' },
  { id: 'external', label: (tracker) => (tracker ? tracker.project_label[0]!.toUpperCase() + tracker.project_label.slice(1) : 'Project') },
  { id: 'local', label: () => 'wfhub project' },
  { id: 'tasks', label: () => 'Tasks' },
  { id: 'import', label: () => 'Import' },
];

/**
 * Imports a tracker's tasks into a project, a step at a time: the tracker, a token for it, its
 * project, the wfhub project (the one it was opened from unless changed), the tasks; then the
 * import, followed live, and what it did. Every step can go back; what was chosen is kept.
 */
export function ImportWizard({ projectId }: { projectId: number }) {
  const [stage, setStage] = useState<Stage>('provider');
  const [tracker, setTracker] = useState<TrackerInfo | undefined>();
  const [credential, setCredential] = useState<Credential | undefined>();
  const [external, setExternal] = useState<ExternalProject | undefined>();
  const [mapping, setMapping] = useState<Mapping | undefined>();
  const [picked, setPicked] = useState<Set<string>>(() => new Set());
  const run = useTrackerImport();
  const close = useCallback(() => navigate({ projectId }), [projectId]);
  useEscape(close);
  const panel = useRef<HTMLElement>(null);
  // Focus goes back where it was (the Import link, say) when the wizard closes.
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    return () => {
      if (before && before !== document.body && before.isConnected) before.focus();
    };
  }, []);
  // Each step starts at its heading.
  useEffect(() => {
    panel.current?.querySelector<HTMLElement>('.step-title')?.focus();
  }, [stage]);

  const index = stages.findIndex((item) => item.id === stage);
  const back = () => setStage(stages[Math.max(0, index - 1)]!.id);
  let step;
  if (stage === 'provider' || !tracker) {
    step = (
      <ProviderStep
        selected={tracker}
        onNext={(next) => {
          if (next.id !== tracker?.id) {
            setCredential(undefined);
            setExternal(undefined);
            setMapping(undefined);
            setPicked(new Set());
          }
          setTracker(next);
          setStage('credential');
        }}
      />
    );
  } else if (stage === 'credential' || !credential) {
    step = (
      <CredentialStep
        key={tracker.id}
        tracker={tracker}
        selected={credential}
        onBack={back}
        onNext={(next) => {
          if (next.id !== credential?.id) {
            setExternal(undefined);
            setMapping(undefined);
            setPicked(new Set());
          }
          setCredential(next);
          setStage('external');
        }}
      />
    );
  } else if (stage === 'external' || !external) {
    step = (
      <ExternalProjectStep
        key={credential.id}
        tracker={tracker}
        credential={credential}
        selected={external}
        onBack={back}
        onNext={(next) => {
          if (next.id !== external?.id) {
            setMapping(undefined);
            setPicked(new Set());
          }
          setExternal(next);
          setStage('local');
        }}
      />
    );
  } else if (stage === 'local' || !mapping) {
    step = (
      <LocalProjectStep
        tracker={tracker}
        credential={credential}
        external={external}
        projectId={mapping?.project_id ?? projectId}
        onBack={back}
        onNext={(next) => {
          if (next.id !== mapping?.id) setPicked(new Set());
          setMapping(next);
          setStage('tasks');
        }}
      />
    );
  } else if (stage === 'tasks' || !run.state) {
    step = (
      <TaskSelectionStep
        key={mapping.id}
        tracker={tracker}
        mapping={mapping}
        picked={picked}
        onPick={setPicked}
        onBack={back}
        onImport={(externalIds) => {
          setStage('import');
          void run.start(mapping, externalIds);
        }}
      />
    );
  } else {
    step = (
      <ImportProgress
        state={run.state}
        trackerName={tracker.name}
        boardHref={routeHash({ projectId: mapping.project_id })}
        onMore={() => {
          run.reset();
          setPicked(new Set());
          setStage('tasks');
        }}
      />
    );
  }

  return (
    <aside ref={panel} className="editor wizard" role="dialog" aria-label="Import tasks">
      <div className="editor-head">
        <strong>Import tasks from a tracker</strong>
        <button type="button" className="icon close" aria-label="Close the import" onClick={close}>
          ×
        </button>
      </div>
      <ol className="wizard-steps" aria-label="Steps">
        {stages.map((item, position) => (
          <li key={item.id} aria-current={item.id === stage ? 'step' : undefined} className={position < index ? 'done' : undefined}>
            {item.label(tracker)}
          </li>
        ))}
      </ol>
      {step}
    </aside>
  );
}
