import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn } from './helpers/browser';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { withTriage } from './helpers/policies';

let h: Harness;
let browser: Browser;
let context: BrowserContext;
beforeAll(async () => {
  [h, browser] = await Promise.all([startHarness(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});
beforeEach(async () => {
  // A phone-width window: every page must work there.
  context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  context.setDefaultTimeout(10_000);
});
afterEach(() => context?.close());

describe('in a real browser', () => {
  it('a system owner registers an AI system with the form, seeing the field messages first', async () => {
    h.usePolicy(withTriage({}));
    const page = await context.newPage();
    await signIn(h, page, 'owner');
    await page.getByRole('link', { name: 'Register an AI system' }).click();
    await page.getByRole('button', { name: 'Register the AI system' }).click();
    await expect.poll(() => page.locator('#name-error').textContent()).toBe('must not be empty');
    await expect.poll(() => page.locator('#affectedParties-error').textContent()).toBe('name at least one affected party');
    await screenshot(page, 'intake-form-errors');

    await page.getByLabel('Name of the AI system').fill('Browser-filed chatbot');
    await page.getByLabel('Purpose').fill('Answers questions about opening hours');
    await page.getByLabel('Business unit').fill('Stores');
    await page.getByLabel('vendor', { exact: true }).check();
    await page.getByLabel('generative assistant').check();
    await page.getByLabel('customer interaction').check();
    await page.getByLabel('informational').check();
    await page.getByLabel('on the loop').check();
    await page.getByLabel('Affected parties').fill('customers\nstore staff');
    await page.getByRole('button', { name: 'Register the AI system' }).click();
    await page.waitForURL(/\/systems\/[0-9a-f-]{36}$/);
    // The intake workflow registers and triages the system a moment after the form answers.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator('main').innerText();
        },
        { timeout: 15_000, interval: 250 },
      )
      .toMatch(/Browser-filed chatbot[\s\S]*Triaged as medium tier/);
    await screenshot(page, 'system-page-after-intake');
    const { rows } = await h.pool.query("SELECT owner_id, intake FROM ai_systems WHERE name = 'Browser-filed chatbot'");
    expect(rows).toEqual([{ owner_id: 'owner', intake: expect.objectContaining({ affectedParties: ['customers', 'store staff'], provenance: 'vendor' }) }]);
  });

  it('an approver decides one task from the emailed link and another from My tasks', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'approver' }] }));
    const fromEmail = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Decided from email' }) });
    const fromPage = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Decided in My tasks' }) });
    const email = await h.mail.waitFor((m) => m.to.includes(h.people.approver.email) && m.subject.endsWith(': Decided from email'));

    const page = await context.newPage();
    await page.goto(email.links[0]);
    await page.getByLabel('Accept').check();
    await page.getByLabel('Comment (optional)').fill('Fine from my inbox');
    await page.getByRole('button', { name: 'Record my decision' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Your decision "Accept" is recorded');
    await screenshot(page, 'decided-from-email-link');

    await signIn(h, page, 'approver');
    await page.getByRole('link', { name: 'My tasks', exact: true }).click();
    await page.getByRole('link', { name: /Decided in My tasks/ }).click();
    await page.getByLabel('Reject').check();
    await page.getByRole('button', { name: 'Record my decision' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Your decision "Reject" is recorded');
    await screenshot(page, 'decided-from-my-tasks');

    for (const [filed, state] of [
      [fromEmail, 'assessment'],
      [fromPage, 'rejected'],
    ] as const) {
      await eventually(async () => ((await h.api('GET', `/api/v1/systems/${filed.body.systemId}`)).body.system.state === state ? true : undefined));
    }
  });

  it('refuses a form posted without the session CSRF token, and any form posted from another site', async () => {
    const page = await context.newPage();
    await signIn(h, page, 'owner');
    const response = await page.request.post(`${h.baseUrl}/systems/new`, { form: { name: 'Forged' } });
    expect(response.status()).toBe(403);
    // Login CSRF: another site posting a sign-in link's form would sign this browser in as someone else.
    const fromAnotherSite = await page.request.post(`${h.baseUrl}/signin`, {
      form: { email: h.people.lead.email },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(fromAnotherSite.status()).toBe(403);
  });

  it('a governance lead sees an escalated task on the dashboard and follows it to the system timeline', async () => {
    h.usePolicy(
      withTriage({
        slaByTier: { low: '1s', medium: '1s', high: '1s', prohibited: '1s' },
        reminderPoints: [],
        escalationLadder: [{ action: 'notify', target: 'manager', window: '1h' }],
      }),
    );
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Waiting too long' }) });
    await h.mail.waitFor((m) => m.to.includes(h.people.leadManager.email) && m.subject === 'Overdue: Triage an AI system intake: Waiting too long');

    const page = await context.newPage();
    await signIn(h, page, 'lead');
    await page.waitForURL(/\/dashboard$/);
    const row = page.getByRole('row').filter({ hasText: 'Waiting too long' });
    await expect.poll(() => row.innerText()).toMatch(/Triage an AI system intake: Waiting too long\s+(under )?\d+ min\s+1\s+Grace Lead/);
    await screenshot(page, 'dashboard-overdue-escalated');

    await row.getByRole('link', { name: 'Waiting too long', exact: true }).click();
    await page.waitForURL(new RegExp(`/systems/${filed.body.systemId}$`));
    const timeline = await page.locator('.timeline').innerText();
    expect(timeline).toMatch(/Registered by owner[\s\S]*Triaged as low tier[\s\S]*Escalated to level 1: notify leadManager/);
    await screenshot(page, 'system-timeline');
  });
});
