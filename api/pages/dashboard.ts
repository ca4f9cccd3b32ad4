import { Router } from 'express';
import { z } from 'zod';
import { overdueTasks, oversightSummary, reviewsDue, type OverdueTask } from '../../db/dashboard';
import { hasAnyRole } from '../../domain/principal';
import { storableText } from '../../domain/fields';
import { riskTiers } from '../../domain/system';
import { taskKindNames } from '../../domain/task';
import { oversightRoles } from '../auth';
import type { ApiDeps } from '../deps';
import { html, notice } from '../html';
import { requireSignIn, sendPage } from './session';

const filters = z.object({
  businessUnit: storableText(200)
    .optional()
    .transform((value) => value || undefined)
    .catch(undefined),
  tier: z.enum(riskTiers).optional().catch(undefined),
  process: z.enum(taskKindNames).optional().catch(undefined),
});

function lateness(seconds: number): string {
  if (seconds < 60) return 'under 1 min';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

const holders = (task: OverdueTask) =>
  task.holders.map((holder) => `${holder.name}${holder.onBehalfOf ? ` (for ${holder.onBehalfOf})` : ''}`).join(', ') || 'nobody';

const options = (values: readonly string[], chosen: string | undefined) =>
  values.map((value) => html`<option value="${value}"${value === chosen ? html` selected` : ''}>${value.replace(/_/g, ' ')}</option>`);

/** The governance lead's view: what is late, by how much, held by whom, and how the systems stand. */
export function dashboardPages(deps: ApiDeps): Router {
  const router = Router();

  router.get('/dashboard', requireSignIn, async (req, res) => {
    if (!hasAnyRole(req.webSession!.principal, ...oversightRoles)) {
      return sendPage(req, res, 403, 'Dashboard', notice('The dashboard is for governance leads, admins and auditors.', true));
    }
    const filter = filters.parse(req.query);
    const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1));
    const [overdue, summary, reviews] = await Promise.all([
      overdueTasks(deps.pool, { ...filter, limit: 100 }),
      oversightSummary(deps.pool, monthStart),
      reviewsDue(deps.pool, { until: new Date(Date.now() + 30 * 86400_000), businessUnit: filter.businessUnit, tier: filter.tier, limit: 50 }),
    ]);
    sendPage(
      req,
      res,
      200,
      'Dashboard',
      html`
<form method="get" action="/dashboard" aria-label="Filters">
  <p><label for="businessUnit">Business unit</label><br><input type="text" id="businessUnit" name="businessUnit" value="${filter.businessUnit ?? ''}"></p>
  <p><label for="tier">Risk tier</label><br><select id="tier" name="tier"><option value="">any</option>${options(riskTiers, filter.tier)}</select></p>
  <p><label for="process">Process step</label><br><select id="process" name="process"><option value="">any</option>${options(taskKindNames, filter.process)}</select></p>
  <p><button type="submit">Filter</button></p>
</form>
<h2>Overdue tasks</h2>
${overdue.next ? html`<p class="notice" role="status">The ${overdue.tasks.length} most overdue are shown; narrow with the filters, or page through all of them with <code>GET /api/v1/dashboard/overdue</code>.</p>` : ''}
${
  overdue.tasks.length === 0
    ? notice('Nothing is overdue.')
    : html`<div class="table-wrap"><table><caption>Open tasks past their deadline, most overdue first</caption>
<thead><tr><th scope="col">Task</th><th scope="col">Overdue by</th><th scope="col">Escalation level</th><th scope="col">Held by</th><th scope="col">System</th><th scope="col">Tier</th></tr></thead>
<tbody>${overdue.tasks.map(
        (task) => html`<tr>
<td><a href="/tasks/${task.taskId}">${task.title}</a></td>
<td class="late">${lateness(task.secondsOverdue)}</td>
<td>${task.escalationLevel}</td>
<td>${holders(task)}</td>
<td><a href="/systems/${task.systemId}">${task.systemName}</a> (${task.businessUnit})</td>
<td>${task.tier ?? 'not set'}</td></tr>`,
      )}</tbody></table></div>`
}
<h2>This month</h2>
<ul>
  <li>Open tasks: ${summary.tasks.open}, of which overdue: ${summary.tasks.overdue}</li>
  <li>Since ${monthStart.toISOString().slice(0, 10)}: deadlines missed ${summary.period.breaches}, escalations ${summary.period.escalations}</li>
</ul>
<h2>Reviews</h2>
${
  reviews.overdue.length + reviews.upcoming.length === 0
    ? notice('No periodic review is overdue or due in the next 30 days.')
    : html`<div class="table-wrap"><table><caption>Reviews overdue or due in the next 30 days</caption>
<thead><tr><th scope="col">System</th><th scope="col">Due</th><th scope="col">Tier</th></tr></thead>
<tbody>${[...reviews.overdue, ...reviews.upcoming].map((review) => html`<tr><td><a href="/systems/${review.systemId}">${review.name}</a></td><td>${new Date(review.nextReviewDue).toUTCString()}</td><td>${review.tier ?? 'not set'}</td></tr>`)}</tbody></table></div>`
}
<h2>Systems by lifecycle state and risk tier</h2>
${
  summary.systems.total === 0
    ? notice('No AI systems yet.')
    : html`<div class="table-wrap"><table><caption>${summary.systems.total} AI systems</caption>
<thead><tr><th scope="col">State</th><th scope="col">Tier</th><th scope="col">Systems</th></tr></thead>
<tbody>${summary.systems.byStateAndTier.map((row) => html`<tr><td>${row.state.replace(/_/g, ' ')}</td><td>${row.tier ?? 'not set'}</td><td>${row.count}</td></tr>`)}</tbody></table></div>`
}`,
    );
  });

  return router;
}
