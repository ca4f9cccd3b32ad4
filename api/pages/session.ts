import type { Request, RequestHandler, Response } from 'express';
import { webSessionFor, type WebSession } from '../../db/sessions';
import type { ApiDeps } from '../deps';
import { html, layout, pageSecurityHeaders, type SafeHtml } from '../html';

declare module 'express-serve-static-core' {
  interface Request {
    webSession?: WebSession;
  }
}

const overHttps = (deps: Pick<ApiDeps, 'publicBaseUrl'>) => new URL(deps.publicBaseUrl).protocol === 'https:';

/** Over https each cookie is a __Host- cookie: Secure, for this host only, on every path; no subdomain can set or read it. */
export const hostCookieName = (deps: Pick<ApiDeps, 'publicBaseUrl'>, name: string) => (overHttps(deps) ? `__Host-${name}` : name);

/** The attributes every cookie of the platform is set and cleared with. */
export const hostCookieOptions = (deps: Pick<ApiDeps, 'publicBaseUrl'>) => ({ httpOnly: true, sameSite: 'lax' as const, secure: overHttps(deps), path: '/' });

export const sessionCookieName = (deps: Pick<ApiDeps, 'publicBaseUrl'>) => hostCookieName(deps, 'aims_session');
export const sessionLifetimeMs = 8 * 3600 * 1000;

export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return undefined; // a mangled cookie is no session, not an error page
    }
  }
  return undefined;
}

export function setSessionCookie(res: Response, deps: ApiDeps, sessionId: string | null) {
  res.cookie(sessionCookieName(deps), sessionId ?? '', { ...hostCookieOptions(deps), maxAge: sessionId ? sessionLifetimeMs : 0 });
}

/**
 * Refuses a form posted from another site, before any session or token is looked at. Besides the
 * CSRF token of signed-in forms, this stops login CSRF: another site signing a visitor in as someone else.
 */
export function sameOriginPosts(deps: ApiDeps): RequestHandler {
  const origin = new URL(deps.publicBaseUrl).origin;
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    // Browsers that send Sec-Fetch-Site say where a form came from; the others are judged by Origin. Our
    // pages' same-origin referrer policy lets a browser send its real Origin, so "null" (a sandboxed
    // frame, a data: page, a redirect from elsewhere) is another site.
    const site = req.get('sec-fetch-site');
    const sentOrigin = req.get('origin');
    const fromAnotherSite = site ? site !== 'same-origin' && site !== 'none' : sentOrigin !== undefined && sentOrigin !== origin;
    if (!fromAnotherSite) return next();
    sendPage(req, res, 403, 'Form refused', html`<p class="notice error" role="alert">This form was sent from another site.</p>`);
  };
}

/** Reads the session cookie, if any, into req.webSession. */
export function loadWebSession(deps: ApiDeps): RequestHandler {
  return async (req, _res, next) => {
    const id = cookieValue(req, sessionCookieName(deps));
    if (id) req.webSession = await webSessionFor(deps.pool, id);
    next();
  };
}

/** Pages need a signed-in person; others are sent to sign in and come back. */
export const requireSignIn: RequestHandler = (req, res, next) => {
  if (req.webSession) return next();
  res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
};

/** Every form a signed-in person posts carries the session's CSRF token. */
export const verifyCsrf: RequestHandler = (req, res, next) => {
  if (req.webSession && req.body?._csrf === req.webSession.csrfToken) return next();
  sendPage(req, res, 403, 'Form expired', html`<p class="notice error" role="alert">This form is no longer valid. Go back, reload the page and try again.</p>`);
};

export function sendPage(req: Request, res: Response, status: number, title: string, body: SafeHtml) {
  const session = req.webSession;
  const signedIn = session && { name: session.principal.name, roles: session.principal.roles, csrfToken: session.csrfToken };
  res
    .status(status)
    .set(pageSecurityHeaders)
    .type('html')
    .send(layout(title, body, signedIn));
}

export const csrfField = (req: Request) => html`<input type="hidden" name="_csrf" value="${req.webSession?.csrfToken}">`;
