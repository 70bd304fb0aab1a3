// Form building blocks: a labelled field with help and an error slot, and a
// registry that puts an API error next to the field named by its `field`.
import { ApiError, errorText } from './api';
import { h, type Child } from './dom';

let uid = 0;
export function nextId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

interface Slot {
  error: HTMLElement;
  control?: HTMLElement;
}

export class FormErrors {
  private slots = new Map<string, Slot>();
  readonly top: HTMLElement;

  constructor() {
    this.top = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-error-for': '' });
  }

  register(path: string, error: HTMLElement, control?: HTMLElement): void {
    this.slots.set(path, { error, control });
  }

  unregisterPrefix(prefix: string): void {
    for (const key of [...this.slots.keys()]) if (key.startsWith(prefix)) this.slots.delete(key);
  }

  clear(): void {
    this.top.hidden = true;
    this.top.textContent = '';
    for (const { error, control } of this.slots.values()) {
      error.hidden = true;
      error.textContent = '';
      control?.removeAttribute('aria-invalid');
    }
  }

  /** Finds the slot for `path`, or for the nearest enclosing path (apps[0].settings.x → apps[0] → apps). */
  private find(path: string): Slot | undefined {
    let p = path;
    for (;;) {
      const slot = this.slots.get(p);
      if (slot) return slot;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return undefined;
      p = p.slice(0, cut);
    }
  }

  /**
   * Shows every error of an API answer next to its field (the problem's `errors`,
   * else its one `field`); what has no field on the form goes to the top. The
   * first field at fault gets the focus.
   */
  show(e: unknown): void {
    this.clear();
    if (e instanceof DOMException && e.name === 'AbortError') return;
    const list: { field: string; detail: string }[] =
      e instanceof ApiError ? (e.errors.length ? e.errors : e.field ? [{ field: e.field, detail: errorText(e) }] : []) : [];
    const unplaced: string[] = [];
    let focused = false;
    for (const item of list) {
      const slot = this.find(item.field);
      if (!slot) {
        unplaced.push(item.detail);
        continue;
      }
      slot.error.textContent = slot.error.hidden ? item.detail : `${slot.error.textContent} ${item.detail}`;
      slot.error.hidden = false;
      if (slot.control) {
        slot.control.setAttribute('aria-invalid', 'true');
        if (!focused && 'focus' in slot.control) (slot.control as HTMLElement).focus();
        focused = true;
      }
    }
    if (list.length && !unplaced.length) return;
    this.top.textContent = unplaced.length ? unplaced.join(' ') : errorText(e);
    this.top.hidden = false;
  }

  /** Shows a message on a given field (client-side checks). */
  showAt(path: string, message: string): void {
    this.clear();
    const slot = this.find(path);
    if (!slot) {
      this.top.textContent = message;
      this.top.hidden = false;
      return;
    }
    slot.error.textContent = message;
    slot.error.hidden = false;
    slot.control?.setAttribute('aria-invalid', 'true');
    slot.control?.focus();
  }
}

export interface FieldOptions {
  label: string;
  control: Control;
  path: string;
  errors: FormErrors;
  help?: Child;
  required?: boolean;
  /** For checkboxes the label goes after the box. */
  inline?: boolean;
}

/** A labelled field: label, control, help text and the error slot for `path`. */
export function field(o: FieldOptions): HTMLElement {
  const id = o.control.id || nextId('f');
  o.control.id = id;
  const errId = `${id}-error`;
  const helpId = `${id}-help`;
  const error = h('p', { class: 'field-error', id: errId, hidden: true, 'data-error-for': o.path, 'aria-live': 'polite' });
  const help = o.help ? h('p', { class: 'help', id: helpId }, o.help) : null;
  o.control.setAttribute('aria-describedby', [help ? helpId : '', errId].filter(Boolean).join(' '));
  o.control.dataset.field = o.path;
  o.errors.register(o.path, error, o.control);
  const label = h('label', { for: id }, o.label, o.required ? h('span', { class: 'req', title: 'required' }, ' *') : null);
  if (o.inline) {
    return h('div', { class: 'field field-inline' }, h('div', { class: 'inline-row' }, o.control, label), help, error);
  }
  return h('div', { class: 'field' }, label, o.control, help, error);
}

export function textInput(attrs: Record<string, string | number | boolean | undefined> = {}): HTMLInputElement {
  return h('input', { type: 'text', ...attrs });
}

export { errorText };
