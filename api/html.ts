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

export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · aims-flow</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.5; }
  header { border-bottom: 2px solid #234; margin-bottom: 1.5rem; }
  dt { font-weight: 600; } dd { margin: 0 0 .5rem 0; }
  fieldset { border: 1px solid #999; padding: 1rem; margin: 1rem 0; }
  button { font-size: 1rem; padding: .5rem 1.25rem; background: #234; color: #fff; border: 0; border-radius: 4px; }
  textarea { width: 100%; font-family: ui-monospace, monospace; }
  .notice { padding: .75rem 1rem; border-left: 4px solid #234; background: #eef2f6; }
  .error { border-color: #a00; background: #fbeaea; }
</style>
</head>
<body>
<header><p><strong>aims-flow</strong> · AI management system</p></header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}
