import { oversightRoles } from '../domain/principal';

/** Server-rendered HTML with every interpolated value escaped; nested `html` fragments pass through. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => entities[char]);

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index]) : ''), ''));
}

/**
 * Headers for every page: nothing loads from elsewhere, no page may be framed (its decision button could be
 * clickjacked), forms post only here, and no URL (some carry tokens) leaks in a Referer to another site.
 * A same-origin form then sends its real Origin, which the cross-site check requires.
 */
export const pageSecurityHeaders = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

export const notice = (text: string, isError = false) => html`<p class="notice${isError ? ' error' : ''}" role="${isError ? 'alert' : 'status'}">${text}</p>`;

/** Who is signed in, for the navigation and the CSRF token of the sign-out form. */
export interface SignedIn {
  name: string;
  roles: readonly string[];
  csrfToken: string;
}

function navigation(who: SignedIn): SafeHtml {
  const links: [string, string][] = [
    ['/tasks', 'My tasks'],
    ['/systems', 'Systems'],
    ['/sessions', 'Sessions'],
  ];
  if (who.roles.includes('system_owner')) links.push(['/systems/new', 'Register an AI system']);
  if (who.roles.some((role) => (oversightRoles as string[]).includes(role))) links.unshift(['/dashboard', 'Dashboard']);
  return html`<nav aria-label="Main"><ul class="nav">${links.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}
<li><form method="post" action="/signout" class="inline"><input type="hidden" name="_csrf" value="${who.csrfToken}"><button type="submit" class="link">Sign out ${who.name}</button></form></li></ul></nav>`;
}

export function layout(title: string, body: SafeHtml, signedIn?: SignedIn): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · aims-flow</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.5; }
  header { border-bottom: 2px solid #234; margin-bottom: 1.5rem; display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .5rem; }
  a { color: #0b4f8a; }
  .nav { list-style: none; display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; margin: 0; }
  dt { font-weight: 600; } dd { margin: 0 0 .5rem 0; }
  fieldset { border: 1px solid #999; padding: 1rem; margin: 1rem 0; }
  button { font-size: 1rem; padding: .5rem 1.25rem; background: #234; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  button.link { background: none; color: #0b4f8a; padding: 0; text-decoration: underline; }
  form.inline { display: inline; }
  input[type=text], input[type=email], select, textarea { font-size: 1rem; padding: .4rem; width: 100%; max-width: 36rem; box-sizing: border-box; }
  textarea { font-family: ui-monospace, monospace; }
  table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
  th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
  caption { text-align: left; font-weight: 600; padding: .25rem 0; }
  .table-wrap { overflow-x: auto; }
  .notice { padding: .75rem 1rem; border-left: 4px solid #234; background: #eef2f6; }
  .error { border-color: #a00; background: #fbeaea; }
  .field-error { color: #a00; margin: .25rem 0; }
  .late { color: #a00; font-weight: 600; }
  @media print { header nav, form { display: none; } body { max-width: none; } }
</style>
</head>
<body>
<header><p><strong>aims-flow</strong> · AI management system</p>${signedIn ? navigation(signedIn) : ''}</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}
