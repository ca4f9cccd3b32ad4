import { Router } from 'express';
import { z } from 'zod';
import { sessionsOf } from '../../db/sessions';
import { endSessions } from '../commands/endSessions';
import type { ApiDeps } from '../deps';
import { html, notice } from '../html';
import { csrfField, requireSignIn, sendPage, verifyCsrf } from './session';

const endForm = z.object({ session: z.uuid().optional() });

/** `/sessions`: a person sees where they are signed in and ends any of those sessions. */
export function sessionPages(deps: ApiDeps): Router {
  const router = Router();
  router.use('/sessions', requireSignIn);

  router.get('/sessions', async (req, res) => {
    const session = req.webSession!;
    const sessions = await sessionsOf(deps.pool, session.principal.id);
    sendPage(
      req,
      res,
      200,
      'Your sessions',
      html`<div class="table-wrap"><table><caption>Where you are signed in</caption>
<thead><tr><th scope="col">Browser</th><th scope="col">Signed in</th><th scope="col">Last used</th><th scope="col">Ends at the latest</th><th scope="col"></th></tr></thead>
<tbody>${sessions.map(
        (each) => html`<tr><td>${each.userAgent ?? 'unknown'}${each.publicId === session.publicId ? html` <strong>(this browser)</strong>` : ''}</td>
<td>${new Date(each.createdAt).toUTCString()}</td><td>${new Date(each.lastSeenAt).toUTCString()}</td><td>${new Date(each.expiresAt).toUTCString()}</td>
<td><form method="post" action="/sessions/end">${csrfField(req)}<input type="hidden" name="session" value="${each.publicId}"><button type="submit">End this session</button></form></td></tr>`,
      )}</tbody></table></div>
<form method="post" action="/sessions/end">${csrfField(req)}<p><button type="submit">End every session, this one too</button></p></form>`,
    );
  });

  router.post('/sessions/end', verifyCsrf, async (req, res) => {
    const form = endForm.safeParse(req.body ?? {});
    if (!form.success) return sendPage(req, res, 400, 'Your sessions', notice('That is not one of your sessions.', true));
    const principalId = req.webSession!.principal.id;
    await endSessions(deps.pool, { principalId, actorId: principalId, publicId: form.data.session });
    res.redirect(303, form.data.session && form.data.session !== req.webSession!.publicId ? '/sessions' : '/signin');
  });

  return router;
}
