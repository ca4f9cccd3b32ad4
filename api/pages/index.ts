import express, { Router } from 'express';
import { hasAnyRole } from '../../domain/principal';
import { oversightRoles } from '../auth';
import type { ApiDeps } from '../deps';
import type { RateLimits } from '../rateLimits';
import { dashboardPages } from './dashboard';
import { incidentPages } from './incidentForm';
import { loadWebSession, sameOriginPosts } from './session';
import { sessionPages } from './sessions';
import { signInPages } from './signIn';
import { systemPages } from './systems';
import { taskPages } from './tasks';

/** The web pages for people: server-rendered, usable without JavaScript, signed in by session cookie. */
export function webPages(deps: ApiDeps, limits: RateLimits): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '80kb' }));
  router.use(sameOriginPosts(deps));
  router.use(loadWebSession(deps));
  router.use(limits.perClient);
  router.get('/', (req, res) => {
    const principal = req.webSession?.principal;
    if (!principal) return res.redirect(303, '/signin');
    res.redirect(303, hasAnyRole(principal, ...oversightRoles) ? '/dashboard' : '/tasks');
  });
  router.use(signInPages(deps));
  router.use(dashboardPages(deps));
  router.use(taskPages(deps));
  router.use(systemPages(deps));
  router.use(incidentPages(deps, limits));
  router.use(sessionPages(deps));
  return router;
}
