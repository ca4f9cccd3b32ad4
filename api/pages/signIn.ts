import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  consumeSignInLink,
  createSignInLink,
  createWebSession,
  endWebSession,
  principalByEmail,
  signInLinkIsUsable,
  signInRequestAllowed,
} from '../../db/sessions';
import type { ApiDeps } from '../deps';
import { html } from '../html';
import { sendPage, sessionLifetimeMs, setSessionCookie, verifyCsrf } from './session';

const linkLifetimeMs = 15 * 60 * 1000;
/** At most this many links per address per link lifetime, so nobody can flood a mailbox through this form. */
const maxLinksPerLifetime = 5;
/** Where to go after signing in: a path on this site only, never another origin (`//host`, `/\\host`). */
const nextPath = z
  .string()
  .max(2000)
  .regex(/^\/(?![/\\])[^\s\\]*$/, 'must be a path on this site')
  .catch('/');

/**
 * Sign-in by a one-time link sent to the person's email. Another method (OIDC single sign-on) plugs in
 * beside it: whatever proves who someone is ends by calling createWebSession and setSessionCookie.
 */
export function signInPages(deps: ApiDeps): Router {
  const router = Router();

  router.get('/signin', (req, res) => {
    const next = nextPath.parse(req.query.next ?? '/');
    sendPage(req, res, 200, 'Sign in', html`
<p>Enter the email address you are known by. We send you a link that signs you in.</p>
<form method="post" action="/signin">
  <input type="hidden" name="next" value="${next}">
  <p><label for="email">Email</label><br><input type="email" id="email" name="email" autocomplete="email" required></p>
  <p><button type="submit">Send me a sign-in link</button></p>
</form>`);
  });

  router.post('/signin', async (req, res) => {
    const email = z.email().safeParse(req.body?.email);
    const next = nextPath.parse(req.body?.next ?? '/');
    if (!email.success) {
      return sendPage(req, res, 400, 'Sign in', html`<p class="notice error" role="alert">Enter a valid email address.</p><p><a href="/signin">Try again</a></p>`);
    }
    // The limit counts requests per address, known or not, so reaching it tells nothing about the address.
    if (!(await signInRequestAllowed(deps.pool, email.data, linkLifetimeMs, maxLinksPerLifetime))) {
      return sendPage(req, res, 429, 'Sign in', html`<p class="notice error" role="alert">Too many sign-in links were asked for ${email.data} in the last 15 minutes, so no email was sent. Try again in 15 minutes, or use a link already sent.</p>`);
    }
    const principal = await principalByEmail(deps.pool, email.data);
    if (principal) {
      const token = await createSignInLink(deps.pool, principal.id, linkLifetimeMs);
      const link = new URL(`/signin/${token}?next=${encodeURIComponent(next)}`, deps.publicBaseUrl).toString();
      // Sent after the answer, so neither its time nor a mail failure tells a known address from an unknown one.
      deps.mailer
        .sendMail({
          from: deps.mailFrom,
          to: { name: principal.name, address: principal.email },
          subject: 'Your aims-flow sign-in link',
          text: `Hello ${principal.name},\n\nOpen this link within 15 minutes to sign in to aims-flow:\n${link}\n\nIf you did not ask to sign in, ignore this email.\n`,
        })
        .catch((error: unknown) => deps.logger.error({ err: error, principalId: principal.id }, 'sign-in email failed'));
    }
    // The same answer whether or not the address is known, so the page cannot be used to find people.
    sendPage(req, res, 200, 'Check your email', html`<p class="notice" role="status">If ${email.data} belongs to someone here, a sign-in link is on its way. It works once, for 15 minutes.</p>`);
  });

  // Mail scanners open links: GET only offers the button, POST signs in.
  router.get('/signin/:token', async (req, res) => {
    const next = nextPath.parse(req.query.next ?? '/');
    if (!(await signInLinkIsUsable(deps.pool, req.params.token))) {
      return sendPage(req, res, 410, 'Link expired', html`<p class="notice error" role="alert">This sign-in link was used or has expired.</p><p><a href="/signin">Get a new link</a></p>`);
    }
    sendPage(req, res, 200, 'Sign in', html`
<form method="post">
  <input type="hidden" name="next" value="${next}">
  <p><button type="submit">Sign in to aims-flow</button></p>
</form>`);
  });

  router.post('/signin/:token', async (req, res) => {
    const principalId = await consumeSignInLink(deps.pool, req.params.token);
    if (!principalId) {
      return sendPage(req, res, 410, 'Link expired', html`<p class="notice error" role="alert">This sign-in link was used or has expired.</p><p><a href="/signin">Get a new link</a></p>`);
    }
    // A fresh session each time; whatever session this browser had before ends here.
    if (req.webSession) await endWebSession(deps.pool, req.webSession.idHash);
    setSessionCookie(res, deps, await createWebSession(deps.pool, principalId, sessionLifetimeMs));
    res.redirect(303, nextPath.parse(req.body?.next ?? '/'));
  });

  const signOut: RequestHandler = async (req, res) => {
    if (req.webSession) await endWebSession(deps.pool, req.webSession.idHash);
    setSessionCookie(res, deps, null);
    res.redirect(303, '/signin');
  };
  // With no live session there is nothing to protect: clear the cookie either way.
  router.post('/signout', (req, res, next) => (req.webSession ? verifyCsrf(req, res, next) : next()), signOut);

  return router;
}

