// Every connected client as a card: the games and apps (name, spec version, address, web page,
// time connected, messages, last error, Disconnect), this window's own controls once used, and
// apps from other computers and web pages waiting to be allowed, each with its question above
// the cards (Allow, Always allow, Refuse), and the web pages refused over HTTP (the Lovense API)
// while the user is asked about them, with the same three answers.
import { api } from '../../api';
import { byId, h, reconcile, run, setText } from '../../dom';
import { formatClock, formatRelativeTime, formatSpecVersion } from '../../format';
import type { ClientView, Snapshot } from '../../models';
import type { Section } from './section';

export const connected: Section = {
  mount(root) {
    root.innerHTML = `
      <p class="muted" id="clients-intro">Games and apps that are connected to Plugboard right now.</p>
      <div id="clients-waiting" class="panel warning" role="alert" hidden>
        <ul id="approval-prompts" class="plain-list"></ul>
        <ul id="web-page-prompts" class="plain-list" aria-label="Web pages asking over HTTP"></ul>
      </div>
      <div id="clients" class="card-list" role="list" aria-label="Apps connected to the server"></div>
      <p class="empty" id="clients-empty" hidden></p>
    `;
    // The cards and the prompts above them answer the same way.
    const answer = (e: Event): void => {
      const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button');
      const card = btn?.closest<HTMLElement>('[data-client-id]');
      if (!btn || !card) return;
      const id = Number(card.dataset.clientId);
      if (btn.classList.contains('disconnect')) void run(btn, () => api.disconnectClient(id));
      else if (btn.classList.contains('allow')) void run(btn, () => api.answerClient(id, true, false));
      else if (btn.classList.contains('allow-always')) void run(btn, () => api.answerClient(id, true, true));
      else if (btn.classList.contains('refuse')) void run(btn, () => api.answerClient(id, false, false));
    };
    byId('clients').addEventListener('click', answer);
    byId('approval-prompts').addEventListener('click', answer);
    byId('web-page-prompts').addEventListener('click', (e) => {
      const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button');
      const origin = btn?.closest<HTMLElement>('[data-origin]')?.dataset.origin;
      if (!btn || origin === undefined) return;
      if (btn.classList.contains('allow')) void run(btn, () => api.answerWebPage(origin, true, false));
      else if (btn.classList.contains('allow-always')) void run(btn, () => api.answerWebPage(origin, true, true));
      else if (btn.classList.contains('refuse')) void run(btn, () => api.answerWebPage(origin, false, false));
    });
  },

  render(s) {
    const now = Date.now();
    reconcile(byId('clients'), s.clients, (c) => String(c.id), 'data-client-id', createCard, (card, c) =>
      updateCard(card, c, now),
    );
    const empty = byId('clients-empty');
    empty.hidden = s.clients.length > 0;
    setText(
      empty,
      s.server.running
        ? `No app is connected. In your game or app, connect to ${s.server.url ?? 'the server address'}.`
        : 'No app is connected. Start the server first, then connect your game or app to it.',
    );
    renderWaiting(s);
  },
};

function renderWaiting(s: Snapshot): void {
  const waiting = s.clients.filter((c) => c.awaitingApproval);
  byId('clients-waiting').hidden = waiting.length === 0 && s.webPagesAsking.length === 0;
  reconcile(byId('approval-prompts'), waiting, (c) => String(c.id), 'data-client-id', createPrompt, updatePrompt);
  reconcile(byId('web-page-prompts'), s.webPagesAsking, (o) => o, 'data-origin', createPrompt, updateWebPagePrompt);
}

/** What "Always allow" remembers: a web page by its Origin, an app from another computer by its address. */
function alwaysAllowLabel(c: ClientView): string {
  return c.origin ? `Always allow the web page ${c.origin}` : `Always allow apps from ${c.address ?? 'there'}`;
}

/** The question the window asks about a waiting client. */
export function approvalQuestion(c: ClientView): string {
  if (c.origin) return `${c.origin} wants to use your devices`;
  return `${c.name ?? 'An app'} on another computer or phone (${c.address ?? 'unknown address'}) wants to use your devices`;
}

function createPrompt(): HTMLLIElement {
  return h(
    'li',
    { class: 'approval-prompt' },
    h('span', { class: 'question' }),
    ' ',
    h(
      'span',
      { class: 'action-buttons' },
      h('button', { type: 'button', class: 'allow primary', text: 'Allow' }),
      h('button', { type: 'button', class: 'allow-always', text: 'Always allow' }),
      h('button', { type: 'button', class: 'refuse danger-outline', text: 'Refuse' }),
    ),
  );
}

function updatePrompt(item: HTMLLIElement, c: ClientView): void {
  setText(item.querySelector('.question') as HTMLElement, approvalQuestion(c));
  const who = c.origin ?? c.name ?? c.address ?? 'this app';
  (item.querySelector('button.allow') as HTMLElement).setAttribute('aria-label', `Allow ${who} this time`);
  (item.querySelector('button.allow-always') as HTMLElement).setAttribute('aria-label', alwaysAllowLabel(c));
  (item.querySelector('button.refuse') as HTMLElement).setAttribute('aria-label', `Refuse ${who}`);
}

/** A web page that asked over HTTP: answered by its Origin, as it has no connection to hold. */
function updateWebPagePrompt(item: HTMLLIElement, origin: string): void {
  setText(item.querySelector('.question') as HTMLElement, `${origin} wants to use your devices`);
  (item.querySelector('button.allow') as HTMLElement).setAttribute('aria-label', `Allow ${origin} until the server stops`);
  (item.querySelector('button.allow-always') as HTMLElement).setAttribute('aria-label', `Always allow the web page ${origin}`);
  (item.querySelector('button.refuse') as HTMLElement).setAttribute('aria-label', `Refuse ${origin}`);
}

function fact(label: string, cls: string): HTMLElement[] {
  return [h('dt', { text: label }), h('dd', { class: cls })];
}

function createCard(): HTMLElement {
  return h(
    'article',
    { class: 'card client-card', role: 'listitem' },
    h(
      'header',
      { class: 'card-head' },
      h('h2', { class: 'name' }),
      h('span', { class: 'spec chip' }),
      h('span', { class: 'kind muted' }),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...fact('Address', 'address mono'),
      ...fact('Web page', 'origin'),
      ...fact('Connected', 'since'),
      ...fact('Messages in / out', 'messages num'),
      ...fact('Last error', 'last-error'),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'allow primary', text: 'Allow' }),
      h('button', { type: 'button', class: 'allow-always', text: 'Always allow' }),
      h('button', { type: 'button', class: 'refuse danger-outline', text: 'Refuse' }),
      h('button', { type: 'button', class: 'disconnect', text: 'Disconnect' }),
    ),
  );
}

function part(card: HTMLElement, cls: string): HTMLElement {
  return card.querySelector(`.${cls}`) as HTMLElement;
}

function updateCard(card: HTMLElement, c: ClientView, now: number): void {
  setText(part(card, 'name'), c.name ?? 'Connecting…');
  // A Buttplug client shows its spec version beside its kind; the others (this window, an
  // app calling the Lovense API) are named by their kind alone.
  const buttplug = !c.local && c.kind.startsWith('Buttplug');
  const spec = part(card, 'spec');
  spec.hidden = !buttplug;
  setText(spec, formatSpecVersion(c.specVersion));
  setText(part(card, 'kind'), buttplug ? 'Buttplug' : c.kind);
  const address = part(card, 'address');
  setText(address, c.address ?? 'inside Plugboard');
  address.classList.toggle('mono', c.address !== null);
  setText(part(card, 'origin'), c.origin ?? '—');
  const since = part(card, 'since');
  since.dataset.since = c.connectedSince;
  setText(since, formatRelativeTime(c.connectedSince, now));
  since.title = `Since ${formatClock(c.connectedSince)}`;
  setText(part(card, 'messages'), `${c.messagesIn} / ${c.messagesOut}`);
  const err = part(card, 'last-error');
  setText(err, c.lastError ?? '—');
  err.classList.toggle('has-error', c.lastError !== null);
  card.classList.toggle('waiting', c.awaitingApproval);
  card.classList.toggle('local', c.local);
  const who = c.name ?? c.address ?? 'this app';
  const answers: [string, string][] = [
    ['allow', `Allow ${who} this time`],
    ['allow-always', `Always allow apps from ${c.address ?? ''}${c.origin ? ` at ${c.origin}` : ''}`],
    ['refuse', `Refuse ${who}`],
  ];
  for (const [cls, label] of answers) {
    const btn = card.querySelector(`button.${cls}`) as HTMLButtonElement;
    btn.hidden = !c.awaitingApproval;
    btn.setAttribute('aria-label', label);
  }
  // This window's controls are not a connection: hiding the window is how they stop.
  const btn = card.querySelector('button.disconnect') as HTMLButtonElement;
  btn.hidden = c.awaitingApproval || c.local;
  btn.setAttribute('aria-label', `Disconnect ${who}`);
}

/** Relative times move on by themselves; refresh only those fields (no call to the shell). */
export function tick(): void {
  const now = Date.now();
  for (const el of document.querySelectorAll<HTMLElement>('#clients .since[data-since]')) {
    setText(el, formatRelativeTime(el.dataset.since ?? '', now));
  }
}
