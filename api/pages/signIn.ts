import { randomBytes } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import {
  consumeSignInLink,
  createSignInLink,
  createWebSession,
  endWebSession,
  principalByEmail,
  signInLinkState,
  signInRequestAllowed,
} from '../../db/sessions';
import type { ApiDeps } from '../deps';
import { html } from '../html';
import { cookieValue, hostCookieName, hostCookieOptions, sendPage, sessionLifetimeMs, setSessionCookie, verifyCsrf } from './session';

const linkLifetimeMs = 10 * 60 * 1000;
/** At most this many links per address in this window, so nobody can flood a mailbox through this form. */
const linkRequestWindowMs = 15 * 60 * 1000;
const maxLinksPerWindow = 5;
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
const otherBrowser = html`<p class="notice error" role="alert">This sign-in link works only in the browser where it was asked for. Open it there, or ask for a new link here.</p><p><a href="/signin">Get a new link</a></p>`;

/** The pre-sign-in cookie binds a link to the browser that asked for it (a __Host- cookie over https). */
const browserCookieName = (deps: ApiDeps) => hostCookieName(deps, 'aims_signin');

/** This browser's pre-sign-in secret: the one it already holds, so its earlier links still work, or a new one. */
function signInBrowser(req: Request, res: Response, deps: ApiDeps): string {
  const browser = cookieValue(req, browserCookieName(deps)) ?? randomBytes(32).toString('base64url');
  res.cookie(browserCookieName(deps), browser, { ...hostCookieOptions(deps), maxAge: linkLifetimeMs });
  return browser;
}

export function signInPages(deps: ApiDeps): Router {
  const router = Router();

  async function sendSignInLink(email: string, next: string, browser: string): Promise<void> {
    const principal = await principalByEmail(deps.pool, email);
    if (!principal) return;
    const token = await createSignInLink(deps.pool, principal.id, linkLifetimeMs, browser);
    const link = new URL(`/signin/${token}?next=${encodeURIComponent(next)}`, deps.publicBaseUrl).toString();
    await deps.mailer.sendMail({
      from: deps.mailFrom,
      to: { name: principal.name, address: principal.email },
      subject: 'Your aims-flow sign-in link',
      text: `Hello ${principal.name},\n\nOpen this link within 10 minutes, in the browser where you asked for it, to sign in to aims-flow:\n${link}\n\nIf you did not ask to sign in, ignore this email.\n`,
    });
  }

  router.get('/signin', (req, res) => {
    const next = nextPath.parse(req.query.next ?? '/');
    sendPage(
      req,
      res,
      200,
      'Sign in',
      html`
<p>Enter the email address you are known by. We send you a link that signs you in.</p>
<form method="post" action="/signin">
  <input type="hidden" name="next" value="${next}">
  <p><label for="email">Email</label><br><input type="email" id="email" name="email" autocomplete="email" required></p>
  <p><button type="submit">Send me a sign-in link</button></p>
</form>`,
    );
  });

  router.post('/signin', async (req, res) => {
    const email = z.email().safeParse(req.body?.email);
    const next = nextPath.parse(req.body?.next ?? '/');
    if (!email.success) {
      return sendPage(
        req,
        res,
        400,
        'Sign in',
        html`<p class="notice error" role="alert">Enter a valid email address.</p><p><a href="/signin">Try again</a></p>`,
      );
    }
    // The limit counts requests per address, known or not, so reaching it tells nothing about the address.
    if (!(await signInRequestAllowed(deps.pool, email.data, linkRequestWindowMs, maxLinksPerWindow))) {
      deps.logger.warn({ securityEvent: 'sign_in_link_limit' }, 'sign-in links refused: limit of the address reached');
      return sendPage(
        req,
        res,
        429,
        'Sign in',
        html`<p class="notice error" role="alert">Too many sign-in links were asked for ${email.data} in the last 15 minutes, so no email was sent. Try again in 15 minutes, or use a link already sent.</p>`,
      );
    }
    const browser = signInBrowser(req, res, deps);
    // The same answer, at the same moment, whether or not the address is known: who it belongs to is
    // looked up, and the link made and sent, only after answering.
    sendPage(
      req,
      res,
      200,
      'Check your email',
      html`<p class="notice" role="status">If ${email.data} belongs to someone here, a sign-in link is on its way. It works once, for 10 minutes, in this browser.</p>`,
    );
    void sendSignInLink(email.data, next, browser).catch((error: unknown) => deps.logger.error({ err: error }, 'sign-in email failed'));
  });

  // Mail scanners open links: GET only offers the button, POST signs in.
  router.get('/signin/:token', async (req, res) => {
    const next = nextPath.parse(req.query.next ?? '/');
    const state = await signInLinkState(deps.pool, req.params.token, cookieValue(req, browserCookieName(deps)));
    if (state === 'other_browser') return sendPage(req, res, 403, 'Other browser', otherBrowser);
    if (state !== 'usable') {
      return sendPage(
        req,
        res,
        410,
        'Link expired',
        html`<p class="notice error" role="alert">This sign-in link was used or has expired.</p><p><a href="/signin">Get a new link</a></p>`,
      );
    }
    sendPage(
      req,
      res,
      200,
      'Sign in',
      html`
<form method="post">
  <input type="hidden" name="next" value="${next}">
  <p><button type="submit">Sign in to aims-flow</button></p>
</form>`,
    );
  });

  router.post('/signin/:token', async (req, res) => {
    const browser = cookieValue(req, browserCookieName(deps));
    if ((await signInLinkState(deps.pool, req.params.token, browser)) === 'other_browser') {
      deps.logger.warn({ securityEvent: 'sign_in_link_other_browser' }, 'sign-in link refused: opened in another browser than the one that asked');
      return sendPage(req, res, 403, 'Other browser', otherBrowser);
    }
    const principalId = await consumeSignInLink(deps.pool, req.params.token, browser);
    if (!principalId) {
      deps.logger.warn({ securityEvent: 'sign_in_link_refused' }, 'sign-in link refused: unknown, used or expired');
      return sendPage(
        req,
        res,
        410,
        'Link expired',
        html`<p class="notice error" role="alert">This sign-in link was used or has expired.</p><p><a href="/signin">Get a new link</a></p>`,
      );
    }
    // A fresh session each time; whatever session this browser had before ends here.
    if (req.webSession) await endWebSession(deps.pool, req.webSession.idHash);
    setSessionCookie(res, deps, await createWebSession(deps.pool, principalId, sessionLifetimeMs, req.get('user-agent')));
    res.clearCookie(browserCookieName(deps), hostCookieOptions(deps));
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
