import type { EvidencePack } from '../db/evidencePack';
import type { ControlEvidence, EvidenceItem } from '../domain/standards';
import type { IntakeRequest } from '../domain/system';
import { html, layout, type SafeHtml } from './html';

// The layout has no slot for page styles; a style element in the body is what browsers apply all the same.
const evidenceStyle = html`<style>
  body { max-width: 72rem; }
  table { border-collapse: collapse; width: 100%; margin: 0 0 1.5rem; font-size: .9rem; }
  caption { text-align: left; font-weight: 600; padding: .25rem 0; }
  th, td { border: 1px solid #999; padding: .25rem .4rem; text-align: left; vertical-align: top; }
  th { background: #eef2f6; }
  .hash, .data { font-family: ui-monospace, monospace; font-size: .8rem; overflow-wrap: anywhere; }
  .none { color: #555; font-style: italic; }
  @media print {
    body { max-width: none; margin: 0; padding: 0; font-size: 10pt; color: #000; }
    header { display: none; }
    h2 { break-after: avoid; }
    thead { display: table-header-group; }
    tr { break-inside: avoid; }
    th { background: none; }
    .notice { border: 1px solid #000; background: none; }
  }
</style>`;

const intakeLabels: [keyof IntakeRequest, string][] = [
  ['name', 'Name'],
  ['purpose', 'Purpose'],
  ['businessUnit', 'Business unit'],
  ['provenance', 'Provenance'],
  ['vendor', 'Vendor'],
  ['useCategory', 'Use category'],
  ['impactAreas', 'Impact areas'],
  ['dataCategories', 'Data categories'],
  ['decisionRole', 'Decision role'],
  ['humanOversight', 'Human oversight'],
  ['affectedParties', 'Affected parties'],
];

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '');
const answer = (value: unknown) => (Array.isArray(value) ? (value.length ? value.join(', ') : 'none') : (value ?? '—'));

/** Seqs as a short list: a handful in full, a long run as its count and ends. */
function seqList(seqs: number[]): string {
  if (seqs.length <= 8) return seqs.map((seq) => `#${seq}`).join(', ');
  return `${seqs.length} events, #${seqs[0]} … #${seqs[seqs.length - 1]}`;
}

/** What the background verifier's checkpoint, and this system's own links, say of the chain its events sit in. */
function chainNotice({ status, checkpoint, systemBrokenLink, coveredEvents, pendingEvents }: EvidencePack['chain'], systemSeqs: Set<number>) {
  const alert = (title: string, text: SafeHtml) => html`<p class="notice error" role="alert"><strong>${title}</strong> ${text}</p>`;
  if (systemBrokenLink) {
    return alert(
      'Audit chain broken',
      html`at event #${systemBrokenLink.seq} (${systemBrokenLink.eventKey}) of this system: ${systemBrokenLink.reason}. Its record cannot be trusted as it stands.`,
    );
  }
  const signed = checkpoint && html`checkpoint of ${when(checkpoint.checkedAt)} signed by key <span class="hash">${checkpoint.publicKey}</span>`;
  const broken = checkpoint?.brokenLink;
  if (checkpoint && broken) {
    // Another system's event key names its task and actor: only this system's own is shown.
    const which = systemSeqs.has(broken.seq) ? html` (${broken.eventKey})` : '';
    return alert(
      'Audit chain broken',
      html`at event #${broken.seq}${which}: ${broken.reason}, found by the background verifier (${signed}). Records from that event on cannot be trusted as they stand.`,
    );
  }
  if (status === 'untrusted checkpoint') {
    return alert(
      'Audit chain checkpoint not trusted:',
      html`the newest checkpoint does not verify under a key this api trusts (AUDIT_PUBLIC_KEYS). It was written past the verifier, or by one the api was not told of.`,
    );
  }
  const pending = pendingEvents ? html` ${pendingEvents} of this system's events came after it and wait for the next checkpoint.` : '';
  if (!checkpoint)
    return html`<p class="notice"><strong>Audit chain not yet verified</strong>: the background verifier has not checkpointed the chain yet.${pending}</p>`;
  return html`<p class="notice"><strong>Audit chain intact</strong> through event #${checkpoint.seq}: ${checkpoint.events} events linked from genesis (last walked from genesis ${when(checkpoint.walkedFromGenesisAt)}); head hash <span class="hash">${checkpoint.headHash}</span>; ${signed}. It covers ${coveredEvents} of this system's events, each linked to its neighbours.${pending}</p>`;
}

const evidenceItems = (items: EvidenceItem[]) =>
  items.map((item) => html`<p>${item.record.replace(/_/g, ' ')}: ${item.shows} (${seqList(item.auditEventSeqs)})</p>`);

/** Controls or clauses with their evidence, and findings never shown as evidence. */
function standardsTable(caption: string, heading: string, rows: ControlEvidence[]) {
  return html`<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">${heading}</th><th scope="col">Title</th><th scope="col">Evidence</th><th scope="col">Findings</th></tr></thead>
<tbody>
${rows.map(
  (row) =>
    html`<tr><td>${row.id}</td><td>${row.title}</td><td>${row.evidence.length ? evidenceItems(row.evidence) : html`<span class="none">no record in aims-flow</span>`}</td><td>${
      row.findings.length ? evidenceItems(row.findings) : html`<span class="none">none</span>`
    }</td></tr>\n`,
)}
</tbody>
</table>`;
}

/** The evidence pack as a page that reads and prints on its own; every value is escaped. */
export function evidencePage(pack: EvidencePack): string {
  const person = (id: string | null) => (id ? (pack.people[id] ? `${pack.people[id].name} (${id})` : id) : '');
  const { system } = pack;
  const decisions = pack.tasks.flatMap((task) => task.decisions.map((decision) => ({ task, decision })));

  const body = html`${evidenceStyle}
<p>Generated ${when(pack.generatedAt)} from the records of aims-flow. The JSON of this pack (<code>Accept: application/json</code>) carries the same records with every event's prev_hash.</p>
${chainNotice(pack.chain, new Set(pack.auditTrail.map((event) => event.seq)))}

<h2>System record</h2>
<dl>
  <dt>Id</dt><dd class="hash">${system.id}</dd>
  <dt>Owner</dt><dd>${person(system.ownerId)}</dd>
  <dt>Lifecycle state</dt><dd>${system.state}</dd>
  <dt>Risk tier</dt><dd>${pack.triage.tier ?? 'not triaged'}</dd>
  <dt>Triage rule</dt><dd>${pack.triage.rule ?? '—'}${pack.triage.reason ? html`: ${pack.triage.reason}` : ''}</dd>
  <dt>Policy version</dt><dd class="hash">${pack.triage.policyVersion}</dd>
  <dt>Registered</dt><dd>${when(system.createdAt)}</dd>
  <dt>Last changed</dt><dd>${when(system.updatedAt)} (version ${system.version})</dd>
  <dt>Next review due</dt><dd>${when(system.nextReviewDue) || 'not scheduled'}</dd>
</dl>

<table>
<caption>Intake as last filed</caption>
<thead><tr><th scope="col">Question</th><th scope="col">Answer</th></tr></thead>
<tbody>
${intakeLabels.map(([field, label]) => html`<tr><th scope="row">${label}</th><td>${answer(pack.intake[field])}</td></tr>\n`)}
</tbody>
</table>

<h2>Tasks and decisions</h2>
<table>
<caption>Tasks (${pack.tasks.length})</caption>
<thead><tr><th scope="col">Task</th><th scope="col">Requested by</th><th scope="col">Opened</th><th scope="col">Closed</th><th scope="col">Status</th><th scope="col">Outcome</th><th scope="col">Subject hash</th></tr></thead>
<tbody>
${pack.tasks.map((task) => html`<tr><td>${task.title}<br><span class="hash">${task.id}</span></td><td>${person(task.requesterId)}</td><td>${when(task.openedAt)}</td><td>${when(task.closedAt)}</td><td>${task.status}</td><td>${task.outcome ?? ''}</td><td class="hash">${task.subjectHash}</td></tr>\n`)}
</tbody>
</table>
<table>
<caption>Decisions (${decisions.length})</caption>
<thead><tr><th scope="col">Task</th><th scope="col">Step</th><th scope="col">Decided by</th><th scope="col">On behalf of</th><th scope="col">When</th><th scope="col">Decision</th><th scope="col">Snapshot hash</th><th scope="col">Comment</th></tr></thead>
<tbody>
${decisions.map(({ task, decision }) => html`<tr><td>${task.title}</td><td>${decision.step + 1}</td><td>${person(decision.actorId)}</td><td>${person(decision.onBehalfOf) || '—'}</td><td>${when(decision.decidedAt)}</td><td>${decision.choice}</td><td class="hash">${decision.snapshotHash}</td><td>${decision.comment ?? ''}</td></tr>\n`)}
</tbody>
</table>

<h2>Impact assessments (ISO/IEC 42005)</h2>
${
  pack.assessments.length === 0
    ? html`<p class="none">None submitted.</p>`
    : html`<table>
<caption>Impact assessment versions (${pack.assessments.length})</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Submitted by</th><th scope="col">When</th><th scope="col">Outcome</th><th scope="col">Impact level</th><th scope="col">Content hash</th></tr></thead>
<tbody>
${pack.assessments.map((assessment) => html`<tr><td>${assessment.version}</td><td>${person(assessment.submittedBy)}</td><td>${when(assessment.submittedAt)}</td><td>${assessment.outcome ?? 'under review'}</td><td>${assessment.impactLevel ?? '—'}</td><td class="hash">${assessment.contentHash}</td></tr>\n`)}
</tbody>
</table>`
}

<h2>Risk treatment plans (ISO/IEC 23894)</h2>
${
  pack.riskRegister.length === 0
    ? html`<p class="none">None submitted.</p>`
    : pack.riskRegister.map(
        (plan) => html`<table>
<caption>Risk register version ${plan.version}: ${plan.outcome ?? 'awaiting sign-off'}, residual risk ${plan.residualRisk}, submitted by ${person(plan.submittedBy)} ${when(plan.submittedAt)} (hash <span class="hash">${plan.contentHash}</span>)</caption>
<thead><tr><th scope="col">Risk</th><th scope="col">Source</th><th scope="col">Likelihood</th><th scope="col">Impact</th><th scope="col">Treatment</th><th scope="col">Annex A controls</th><th scope="col">Residual</th><th scope="col">Owner</th><th scope="col">Accepted until</th></tr></thead>
<tbody>
${plan.content.risks.map((risk) => html`<tr><td>${risk.id}: ${risk.title}</td><td>${risk.source}</td><td>${risk.likelihood}</td><td>${risk.impact}</td><td>${risk.treatment}</td><td>${risk.controls.join(', ')}</td><td>${risk.residual}</td><td>${risk.owner}</td><td>${risk.acceptanceExpiresAt ?? '—'}</td></tr>\n`)}
</tbody>
</table>`,
      )
}

<h2>Periodic reviews</h2>
${
  pack.reviews.length === 0
    ? html`<p class="none">None yet.</p>`
    : html`<table>
<caption>Reviews (${pack.reviews.length}), newest first</caption>
<thead><tr><th scope="col">Opened</th><th scope="col">Why</th><th scope="col">Requested by</th><th scope="col">Outcome</th><th scope="col">Attestation</th><th scope="col">Closed</th></tr></thead>
<tbody>
${pack.reviews.map((review) => html`<tr><td>${when(review.openedAt)}</td><td>${review.reason.replaceAll('_', ' ')}</td><td>${person(review.requesterId)}</td><td>${review.status.replaceAll('_', ' ')}</td><td>${review.attestation ? (review.attestation.status === 'changed' ? `changed: ${review.attestation.changes}` : 'unchanged') : '—'}</td><td>${review.closedAt ? when(review.closedAt) : 'open'}</td></tr>\n`)}
</tbody>
</table>`
}

<h2>Incidents</h2>
${
  pack.incidents.length === 0
    ? html`<p class="none">None reported.</p>`
    : html`<table>
<caption>Incidents (${pack.incidents.length})</caption>
<thead><tr><th scope="col">Reported</th><th scope="col">Severity</th><th scope="col">Description</th><th scope="col">By</th><th scope="col">Stage</th><th scope="col">Suspended the system</th><th scope="col">Report to the authority</th></tr></thead>
<tbody>
${pack.incidents.map((incident) => html`<tr><td>${when(incident.reportedAt)}</td><td>${incident.serious ? 'serious, ' : ''}${incident.severity}</td><td>${incident.description}</td><td>${person(incident.reporterId)}</td><td>${incident.stage}</td><td>${incident.suspendedSystem ? 'yes' : 'no'}</td><td>${incident.regulatoryReportedAt ? when(incident.regulatoryReportedAt) : incident.regulatoryReportDue ? `due ${when(incident.regulatoryReportDue)}` : '—'}</td></tr>\n`)}
</tbody>
</table>`
}

<h2>Retirement</h2>
${
  pack.retirements.length === 0
    ? html`<p class="none">Not requested.</p>`
    : pack.retirements.map(
        (
          retirement,
        ) => html`<p>Requested by ${person(retirement.requesterId)} ${when(retirement.requestedAt)} for ${retirement.retireOn}: ${retirement.reason}. Status: ${retirement.status}.</p>
${retirement.checklist.length === 0 ? '' : html`<ul>${retirement.checklist.map((item) => html`<li>Round ${item.round}, ${item.item.replace('retirement_', '').replaceAll('_', ' ')}: ${item.evidence ?? 'not done'}${item.doneBy ? html` (${person(item.doneBy)})` : ''}</li>`)}</ul>`}`,
      )
}

<h2>ISO/IEC 42001 Annex A controls</h2>
${standardsTable('Annex A controls and the records of this system that evidence them, with the findings against them', 'Control', pack.controls)}

<h2>ISO/IEC 42001 management-system clauses</h2>
${standardsTable('Clauses and the records of this system that evidence them, with the findings against them', 'Clause', pack.clauses)}

<h2>Audit trail</h2>
<table>
<caption>Audit events of this system (${pack.auditTrail.length}), in chain order</caption>
<thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">Data</th><th scope="col">Hash</th></tr></thead>
<tbody>
${pack.auditTrail.map((event) => html`<tr><td>${event.seq}</td><td>${when(event.occurredAt)}</td><td>${event.type}</td><td>${person(event.actorId)}</td><td class="data">${JSON.stringify(event.data)}</td><td class="hash">${event.hash}</td></tr>\n`)}
</tbody>
</table>`;
  return layout(`Evidence pack: ${system.name}`, body);
}
