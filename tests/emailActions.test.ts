import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, submitActionForm, type Harness } from './helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

async function triageLinkFor(name: string) {
  const response = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  expect(response.status).toBe(202);
  const email = await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject.endsWith(`: ${name}`));
  return { systemId: response.body.systemId as string, link: email.links[0] };
}

const systemOf = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body;

describe('deciding from the emailed link', () => {
  it('shows the task on GET and HEAD without changing anything', async () => {
    const { systemId, link } = await triageLinkFor('Chat helper');
    for (let visit = 0; visit < 3; visit++) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('referrer-policy')).toBe('same-origin');
      const body = await page.text();
      expect(body).toContain('Chat helper');
      expect(body).toContain('name="choice" value="accept"');
    }
    expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);

    const detail = await systemOf(systemId);
    expect(detail.system.state).toBe('intake');
    expect(detail.openTasks).toHaveLength(1);
    expect(detail.history.map((e: { type: string }) => e.type)).not.toContain('task.decided');
  });

  it('needs an explicit choice, then records the decision once and retires the link', async () => {
    const { systemId, link } = await triageLinkFor('Forecast bot');

    const noChoice = await submitActionForm(link, { comment: 'looks fine' });
    expect(noChoice.status).toBe(400);
    expect(await noChoice.text()).toContain('Choose one of the options');
    expect((await systemOf(systemId)).openTasks).toHaveLength(1);

    const decided = await submitActionForm(link, { choice: 'accept', comment: 'low risk' });
    const page = await decided.text();
    expect(page).toContain('Your decision &quot;Accept&quot; is recorded');
    expect(decided.status).toBe(200);
    await eventually(async () => ((await systemOf(systemId)).system.state === 'assessment' ? true : undefined));

    const reused = await submitActionForm(link, { choice: 'reject' });
    expect(reused.status).toBe(410);
    const detail = await systemOf(systemId);
    const decisions = detail.history.filter((e: { type: string }) => e.type === 'task.decided');
    expect(decisions).toEqual([
      expect.objectContaining({ actorId: 'lead', data: expect.objectContaining({ choice: 'accept', comment: 'low risk', onBehalfOf: null }) }),
    ]);
  });

  it('answers an unknown token with 404 and never reveals a task', async () => {
    const page = await fetch(`${h.baseUrl}/actions/${'x'.repeat(43)}`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('This link is not valid');
  });

  it('stores only a hash of the token', async () => {
    const { link } = await triageLinkFor('Token check');
    const token = link.split('/').pop()!;
    const { rows } = await h.pool.query('SELECT token_hash FROM action_tokens');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.token_hash)).not.toContain(token);
  });
});
