import { z } from 'zod';
import { latestAiActClassification } from '../../db/aiActClassifications';
import { getSystem } from '../../db/systems';
import type { AiActClassification } from '../../domain/aiActClassification';
import type { TaskRecord } from '../../db/tasks';
import { storableText } from '../../domain/fields';
import type { Principal } from '../../domain/principal';
import { riskTiers } from '../../domain/system';
import { taskKinds, type TaskKind } from '../../domain/task';
import { decideTask } from '../decisions';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { html, notice, type SafeHtml } from '../html';

const choiceLabels: Record<string, string> = {
  accept: 'Accept',
  approve: 'Approve',
  reject: 'Reject',
  request_changes: 'Request changes',
  submit: 'Submit',
  reaccept: 'Re-accept the risk for another term',
  acknowledge: 'Acknowledge',
  contain: 'Contained',
  resolve: 'Resolved',
  close: 'Close the incident',
  close_and_reassess: 'Close the incident and re-assess the system',
  report: 'Reported to the authority',
  done: 'Done',
};

/** What a kind's submission is called on the form, and the draft the field starts from. */
const submissionFields: Partial<Record<TaskKind, { label: string; draft: (intake: unknown) => unknown }>> = {
  intake_revision: { label: 'Revised intake (JSON)', draft: (intake) => intake },
  impact_assessment: {
    label: 'Impact assessment after ISO/IEC 42005 (JSON)',
    draft: () => ({
      scope: '',
      system: { description: '', functionalities: '', purpose: '', intendedUses: [''], unintendedUses: [] },
      data: { description: '', quality: '' },
      model: { description: '' },
      deployment: { environment: '', geographies: [''], languages: [''] },
      interestedParties: [''],
      impacts: [{ description: '', on: 'individuals', kind: 'harm', severity: 'low', likelihood: 'possible' }],
      failuresAndMisuse: [''],
      measures: [],
    }),
  },
  risk_treatment_plan: {
    label: 'Risk register after ISO/IEC 23894 (JSON; controls by ISO/IEC 42001 Annex A id)',
    draft: () => ({
      risks: [
        { id: 'R1', title: '', source: '', likelihood: 'possible', impact: 'medium', treatment: 'mitigate', controls: ['A.6.2.4'], residual: 'low', owner: '' },
      ],
    }),
  },
  review_attestation: { label: 'Attestation (JSON): "unchanged", or "changed" with what changed', draft: () => ({ status: 'unchanged' }) },
  incident_containment: { label: 'Containment (JSON)', draft: () => ({ actions: '', suspendSystem: false }) },
  incident_resolution: { label: 'Resolution (JSON)', draft: () => ({ rootCause: '', actions: '' }) },
  incident_regulatory_report: {
    label: 'Report to the authority (JSON)',
    draft: () => ({ authority: '', reference: '', reportedAt: new Date().toISOString() }),
  },
  retirement_data_disposal: { label: 'Evidence (JSON)', draft: () => ({ evidence: '' }) },
  retirement_access_revocation: { label: 'Evidence (JSON)', draft: () => ({ evidence: '' }) },
  retirement_user_notice: { label: 'Evidence (JSON)', draft: () => ({ evidence: '' }) },
  retirement_archive: { label: 'Evidence (JSON)', draft: () => ({ evidence: '' }) },
};

const decisionFormFields = z.object({
  choice: z.string().min(1),
  snapshotHash: z.string().default(''),
  comment: storableText(4000).optional(),
  submission: z.string().max(64_000).optional(),
  verdict: z.enum(['', 'confirmed', 'overridden']).default(''),
  overrideTier: z.string().max(20).optional(),
  overrideReason: storableText(2000).optional(),
});

/** A triage decider's verdict on the tier and classification, taken with an acceptance (domain/triageVerdict.ts). */
const triageVerdictFields = html`<fieldset>
    <legend>If you accept: the tier and classification</legend>
    <p><label><input type="radio" name="verdict" value="" checked> Take them as they are</label></p>
    <p><label><input type="radio" name="verdict" value="confirmed"> Confirm them</label></p>
    <p><label><input type="radio" name="verdict" value="overridden"> Override the tier</label>
      <label for="overrideTier">to</label> <select id="overrideTier" name="overrideTier"><option value="">choose a tier</option>${riskTiers.map((tier) => html`<option value="${tier}">${tier}</option>`)}</select></p>
    <p><label for="overrideReason">Why you override it (required to override)</label><br><textarea id="overrideReason" name="overrideReason" rows="3" maxlength="2000"></textarea></p>
  </fieldset>`;

/** The verdict fields as the triage task's submission; none chosen, none sent. */
function triageVerdictOf(form: z.output<typeof decisionFormFields>): unknown {
  if (form.verdict === '') return undefined;
  if (form.verdict === 'confirmed') return { classification: { verdict: 'confirmed' } };
  return { classification: { verdict: 'overridden', tier: form.overrideTier, reason: form.overrideReason ?? '' } };
}

/** What a triage decides on beside the intake: the law's reading of it, flag by flag, with the provision each rests on. */
function aiActSection(classification: AiActClassification): SafeHtml {
  const verdict = !classification.inScope
    ? 'out of scope'
    : classification.prohibited
      ? 'prohibited practice'
      : classification.highRisk
        ? 'high-risk'
        : 'not high-risk';
  return html`<h2>EU AI Act classification: ${verdict}</h2>
<ul>${classification.flags.map((flag) => html`<li>${flag.kind.replaceAll('_', ' ')}: ${flag.title} (${flag.citation}; applies from ${flag.appliesFrom})</li>`)}</ul>`;
}

/** The task, what it decides on, and a form to decide it: the same on the email action page and in My tasks. */
export async function decisionForm(deps: ApiDeps, task: TaskRecord, hiddenFields: SafeHtml = html``, draftSubmission?: string): Promise<SafeHtml> {
  const [system, classification] = await Promise.all([
    getSystem(deps.pool, task.systemId),
    task.kind === 'intake_triage' ? latestAiActClassification(deps.pool, task.systemId) : undefined,
  ]);
  const definition = taskKinds[task.kind];
  const intake = system?.intake;
  return html`
<dl>
  <dt>AI system</dt><dd>${system?.name}</dd>
  <dt>Business unit</dt><dd>${system?.businessUnit}</dd>
  <dt>Purpose</dt><dd>${intake?.purpose}</dd>
  <dt>Risk tier</dt><dd>${system?.riskTier ?? 'not set'}${system?.triageReason ? ` (${system.triageReason})` : ''}</dd>
  <dt>Use</dt><dd>${intake?.useCategory}, ${intake?.decisionRole}, human oversight ${intake?.humanOversight}</dd>
  <dt>Impact areas</dt><dd>${intake?.impactAreas.join(', ') || 'none'}</dd>
  <dt>Data</dt><dd>${intake?.dataCategories.join(', ') || 'no personal data'}</dd>
  <dt>Due</dt><dd>${new Date(task.dueAt).toUTCString()}</dd>
</dl>
${classification ? aiActSection(classification) : ''}
<form method="post">
  ${hiddenFields}
  <input type="hidden" name="snapshotHash" value="${task.subjectHash}">
  <fieldset>
    <legend>Your decision</legend>
    ${definition.choices.map(
      (choice) => html`<p><label><input type="radio" name="choice" value="${choice}" required> ${choiceLabels[choice] ?? choice}</label></p>`,
    )}
  </fieldset>
  ${task.kind === 'intake_triage' ? triageVerdictFields : ''}
  ${
    submissionFields[task.kind]
      ? html`<p><label for="submission">${submissionFields[task.kind]?.label ?? 'Submission (JSON)'}</label><br><textarea id="submission" name="submission" rows="16">${draftSubmission ?? JSON.stringify(submissionFields[task.kind]?.draft(intake) ?? {}, null, 2)}</textarea></p>`
      : ''
  }
  <p><label for="comment">Comment (optional)</label><br><textarea id="comment" name="comment" rows="3" maxlength="4000"></textarea></p>
  <p><button type="submit">Record my decision</button></p>
</form>`;
}

export interface PageOutcome {
  status: number;
  title: string;
  body: SafeHtml;
  decided: boolean;
}

/**
 * Decides a task from a posted form, with the same rules as the API: an explicit choice, the snapshot
 * the person saw, the task workflow's validation. Refusals come back as a page, not an exception.
 */
export async function decideFromForm(
  deps: ApiDeps,
  task: TaskRecord,
  actor: Principal,
  body: unknown,
  updateId: string,
  hiddenFields?: SafeHtml,
): Promise<PageOutcome> {
  const form = decisionFormFields.safeParse(body ?? {});
  const choices: readonly string[] = taskKinds[task.kind].choices;
  if (!form.success || !choices.includes(form.data.choice)) {
    const problems = form.success
      ? []
      : form.error.issues.filter((issue) => issue.path[0] !== 'choice').map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    const message = problems.length ? `Your decision was not recorded. ${problems.join('; ')}.` : 'Choose one of the options before submitting.';
    const again = await decisionForm(deps, task, hiddenFields);
    return { status: 400, title: task.title, body: html`${notice(message, true)}${again}`, decided: false };
  }
  let submission: unknown;
  if (task.kind === 'intake_triage') submission = triageVerdictOf(form.data);
  else if (submissionFields[task.kind]) {
    try {
      submission = JSON.parse(form.data.submission ?? '');
    } catch {
      const again = await decisionForm(deps, task, hiddenFields, form.data.submission);
      return { status: 400, title: task.title, body: html`${notice('The revised intake is not valid JSON.', true)}${again}`, decided: false };
    }
  }
  try {
    const result = await decideTask(deps, {
      task,
      actor,
      choice: form.data.choice,
      snapshotHash: form.data.snapshotHash,
      comment: form.data.comment || undefined,
      submission,
      updateId,
    });
    const closing = result.taskStatus === 'open' ? 'The task stays open until the other approvers decide.' : 'The task is now closed.';
    const label = choiceLabels[result.choice] ?? result.choice;
    return {
      status: 200,
      title: 'Decision recorded',
      body: notice(`Thank you, ${actor.name}. Your decision "${label}" is recorded. ${closing}`),
      decided: true,
    };
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    return { status: error.status, title: 'Decision not recorded', body: notice(error.message, true), decided: false };
  }
}
