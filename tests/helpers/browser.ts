import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { CastMember, Harness } from './harness';

export const artifactsDir = path.join(__dirname, '../../test-artifacts');

/** Debian's chromium, headless, with the flags that keep it off a network this machine does not have. */
export async function launchBrowser(): Promise<Browser> {
  await mkdir(artifactsDir, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });

/** Signs in as a person would: asks for a link, opens it from the email, presses the button. */
export async function signIn(h: Harness, page: Page, who: CastMember): Promise<void> {
  const person = h.people[who];
  await page.goto(`${h.baseUrl}/signin`);
  await page.getByLabel('Email').fill(person.email);
  const asked = Date.now();
  await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
  await expect.poll(() => page.getByRole('status').textContent()).toContain('a sign-in link is on its way');
  const email = await h.mail.waitFor(
    (m) => m.to.includes(person.email) && m.subject === 'Your aims-flow sign-in link' && m.receivedAt.getTime() >= asked - 1000,
  );
  await page.goto(email.links[0]);
  await page.getByRole('button', { name: 'Sign in to aims-flow' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}
