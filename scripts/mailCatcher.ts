import type { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  id: number;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  receivedAt: Date;
  links: string[];
}

export interface MailCatcher {
  smtpPort: number;
  httpPort?: number;
  /** Oldest first; the same array for the catcher's lifetime. */
  messages: CaughtMail[];
  waitFor(predicate: (m: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  clear(): void;
  close(): Promise<void>;
}

export interface MailCatcherOptions {
  /** 0 picks a free port. */
  smtpPort?: number;
  /** Omit for no web view; 0 picks a free port. */
  httpPort?: number;
  host?: string;
}

interface Waiter {
  predicate: (m: CaughtMail) => boolean;
  resolve: (m: CaughtMail) => void;
}

// Stops at whitespace, quotes and brackets; trailing sentence punctuation is trimmed separately.
const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;

export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const host = options.host ?? '127.0.0.1';
  const messages: CaughtMail[] = [];
  const waiters = new Set<Waiter>();
  let nextId = 1;

  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    // Tests close the catcher while clients may still hold a connection; don't wait 30 s for them.
    closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const html = typeof parsed.html === 'string' ? parsed.html : undefined;
          const text = parsed.text ?? '';
          const mail: CaughtMail = {
            id: nextId++,
            messageId: parsed.messageId ?? '',
            from: parsed.from?.value[0]?.address ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
            // The envelope, not the To header, so Cc and Bcc recipients are caught too.
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text,
            html,
            receivedAt: new Date(),
            links: extractLinks(text, html),
          };
          messages.push(mail);
          for (const waiter of waiters) {
            if (waiter.predicate(mail)) {
              waiters.delete(waiter);
              waiter.resolve(mail);
            }
          }
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  const smtpPort = await listen(smtp, () => smtp.listen(options.smtpPort ?? 0, host), smtp.server);
  // A client dropping its connection surfaces as a server 'error'; unhandled, it would crash the process.
  smtp.on('error', () => undefined);

  let web: http.Server | undefined;
  let httpPort: number | undefined;
  if (options.httpPort !== undefined) {
    web = http.createServer((req, res) => serveWebView(messages, req, res));
    const server = web;
    httpPort = await listen(server, () => server.listen(options.httpPort, host), server);
  }

  return {
    smtpPort,
    httpPort,
    messages,
    waitFor(predicate, timeoutMs = 10_000) {
      const existing = messages.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise<CaughtMail>((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const subjects = messages.map((m) => JSON.stringify(m.subject)).join(', ') || 'none';
          reject(new Error(`No matching mail within ${timeoutMs} ms; subjects received: ${subjects}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear() {
      messages.length = 0;
    },
    async close() {
      const closing = [new Promise<void>((resolve) => smtp.close(resolve))];
      if (web) {
        const server = web;
        server.closeAllConnections();
        closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
      }
      await Promise.all(closing);
    },
  };
}

/** http(s) URLs of the text body, then hrefs of the html part, in order and without repeats. */
export function extractLinks(text: string, html?: string): string[] {
  const fromText = (text.match(URL_PATTERN) ?? []).map((url) => url.replace(/[.,;:!?)\]}]+$/, ''));
  const fromHtml = [...(html ?? '').matchAll(/href\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)]
    .map((m) => decodeEntities((m[1] ?? m[2]).trim()))
    .filter((url) => /^https?:\/\//i.test(url));
  return [...new Set([...fromText, ...fromHtml])];
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function listen(emitter: EventEmitter, start: () => void, server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    emitter.once('error', reject);
    server.once('listening', () => {
      emitter.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
    start();
  });
}

// ---- web view ----

function serveWebView(messages: CaughtMail[], req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const newestFirst = [...messages].reverse();

  if (path === '/api/messages') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(newestFirst));
    return;
  }
  if (path === '/') {
    sendPage(res, 200, 'Mail catcher', listPage(newestFirst));
    return;
  }
  const match = /^\/messages\/(\d+)$/.exec(path);
  const mail = match && messages.find((m) => m.id === Number(match[1]));
  if (mail) {
    sendPage(res, 200, mail.subject || '(no subject)', messagePage(mail));
    return;
  }
  sendPage(res, 404, 'Not found', '<p>No such message. <a href="/">All messages</a></p>');
}

function listPage(mails: CaughtMail[]): string {
  if (mails.length === 0) return '<h1>Mail catcher</h1><p>No messages yet. Reload after sending.</p>';
  const rows = mails
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.receivedAt.toLocaleString())}</td><td>${escapeHtml(m.to.join(', '))}</td>` +
        `<td><a href="/messages/${m.id}">${escapeHtml(m.subject || '(no subject)')}</a></td></tr>`,
    )
    .join('\n');
  return (
    `<h1>Mail catcher</h1><p>${mails.length} message(s), newest first.</p>` +
    `<table><thead><tr><th>Received</th><th>To</th><th>Subject</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function messagePage(m: CaughtMail): string {
  const headers: [string, string][] = [
    ['From', m.from],
    ['To', m.to.join(', ')],
    ['Subject', m.subject],
    ['Message-ID', m.messageId],
    ['Received', m.receivedAt.toISOString()],
  ];
  const headerRows = headers.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  // The html part is untrusted: an attribute-escaped srcdoc in a sandbox without scripts or forms.
  // Its links open in a new, unsandboxed tab so they behave as they would in a mail client.
  const htmlPart = m.html
    ? `<h2>HTML part</h2><iframe title="HTML part" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(
        `<base target="_blank">${m.html}`,
      )}"></iframe>`
    : '';
  return (
    `<p><a href="/">&larr; All messages</a></p><h1>${escapeHtml(m.subject || '(no subject)')}</h1>` +
    `<table>${headerRows}</table><h2>Text</h2><pre>${linkify(m.text)}</pre>${htmlPart}`
  );
}

function linkify(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[.,;:!?)\]}]+$/, '');
    const start = match.index ?? 0;
    out += escapeHtml(text.slice(last, start)) + `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = start + url.length;
  }
  return out + escapeHtml(text.slice(last));
}

function sendPage(res: http.ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}` +
      `table{border-collapse:collapse}th,td{text-align:left;padding:.3rem .8rem;border-bottom:1px solid #ddd}` +
      `pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}iframe{width:100%;height:30rem;border:1px solid #ccc}` +
      `</style></head><body>${body}</body></html>`,
  );
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

if (require.main === module) {
  const smtpPort = Number(process.env.MAIL_SMTP_PORT ?? 1025);
  const httpPort = Number(process.env.MAIL_HTTP_PORT ?? 8025);
  startMailCatcher({ smtpPort, httpPort }).then(
    (catcher) => {
      console.log(`SMTP     smtp://127.0.0.1:${catcher.smtpPort}`);
      console.log(`Web view http://127.0.0.1:${catcher.httpPort}/`);
      const stop = () => void catcher.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: Error) => {
      console.error(`mail catcher failed to start: ${err.message}`);
      process.exit(1);
    },
  );
}
