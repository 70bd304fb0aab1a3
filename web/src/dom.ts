// Tiny DOM helpers: h() builds elements, nothing is ever set through innerHTML,
// so text from the API can never inject markup.

export type Child = Node | string | number | null | undefined | false | Child[];

type Handler = (ev: Event) => void;
export type Attrs = Record<string, string | number | boolean | Handler | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (typeof value === 'function') {
        el.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
      } else if (name === 'class') {
        el.className = String(value);
      } else if (value === true) {
        el.setAttribute(name, '');
      } else {
        el.setAttribute(name, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces all children of `el`. */
export function setChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A link handled by the client-side router. */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href, 'data-link': true }, ...children);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Runs `work` with the button disabled and a "working" label; restores after. */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const old = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = old;
  }
}

/** The page's heading; also sets the window title. */
export function heading(text: string, ...extra: Child[]): HTMLHeadingElement {
  document.title = `${text} · fedihost`;
  return h('h1', null, text, ...extra);
}

/** A "Loading…" placeholder with a spinner. */
export function loading(what = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), what);
}

/** An error box for a part of the page that failed to load. */
export function failure(message: string, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'form-error', role: 'alert' },
    message,
    retry ? h('button', { type: 'button', class: 'button-quiet', onclick: retry }, 'Try again') : null,
  );
}

/** Copies text to the clipboard; false when the browser refuses. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back below */
  }
  const area = h('textarea', { readonly: true, 'aria-hidden': 'true', class: 'offscreen' });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/**
 * A read-only box holding a secret or a link, with a "Copy" button beside it.
 * The box can also be selected by hand (it selects itself on focus).
 */
export function copyField(value: string, label: string, attrs: Attrs = {}): HTMLElement {
  const id = typeof attrs.id === 'string' ? attrs.id : `copy-${Math.random().toString(36).slice(2, 9)}`;
  const input = h('input', { type: 'text', readonly: true, class: 'copy-value', spellcheck: 'false', ...attrs, id });
  input.value = value;
  input.addEventListener('focus', () => input.select());
  const status = h('span', { class: 'muted small', role: 'status' });
  const button = h('button', { type: 'button', class: 'copy-button' }, 'Copy');
  button.addEventListener('click', async () => {
    const ok = await copyText(value);
    status.textContent = ok ? 'Copied.' : 'Select the text and copy it by hand.';
    if (!ok) input.select();
  });
  return h('div', { class: 'copy-field' }, h('label', { for: id }, label), h('div', { class: 'copy-row' }, input, button, status));
}
