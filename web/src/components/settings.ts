// A settings form generated from an app's settingsSchema (a JSON Schema object).
import { h } from '../dom';
import { field, FormErrors } from '../forms';
import type { SchemaProperty, SettingsSchema } from '../types';

export interface SettingsForm {
  element: HTMLElement;
  /** The values to send; empty optional fields are left out so the server's default applies. */
  values(): Record<string, unknown>;
}

function baseType(p: SchemaProperty): string {
  const t = Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type;
  if (t) return t;
  if (p.enum) return 'enum';
  if (typeof p.default === 'boolean') return 'boolean';
  if (typeof p.default === 'number') return Number.isInteger(p.default) ? 'integer' : 'number';
  return 'string';
}

/** "singleUserMode" → "Single user mode" when a property has no title. */
function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function describe(p: SchemaProperty): string {
  const bits: string[] = [];
  if (p.description) bits.push(p.description);
  const range: string[] = [];
  if (p.minimum !== undefined) range.push(`at least ${p.minimum}`);
  if (p.maximum !== undefined) range.push(`at most ${p.maximum}`);
  if (range.length) bits.push(`(${range.join(', ')})`);
  return bits.join(' ');
}

/** Whether the schema lets a string property be empty (no minimum length, and its pattern accepts ""). */
function allowsEmpty(p: SchemaProperty): boolean {
  if ((p.minLength ?? 0) > 0) return false;
  if (!p.pattern) return true;
  try {
    return new RegExp(p.pattern, 'u').test('');
  } catch {
    return false;
  }
}

/**
 * Builds one field per schema property. `pathPrefix` is the error path of
 * the settings object (e.g. "app:mastodon.settings"); each field registers
 * `${pathPrefix}.${key}` with `errors`. `initial` holds the values to show
 * (a deployment's current settings); missing ones show the schema's default.
 */
export function settingsForm(
  schema: SettingsSchema | undefined,
  pathPrefix: string,
  errors: FormErrors,
  idPrefix: string,
  initial: Record<string, unknown> = {},
): SettingsForm {
  const props = Object.entries(schema?.properties ?? {});
  const required = new Set(schema?.required ?? []);
  const getters: [string, () => { set: boolean; value?: unknown }][] = [];
  const fields: HTMLElement[] = [];

  for (const [key, p] of props) {
    const label = p.title || humanize(key);
    const help = describe(p) || undefined;
    const path = `${pathPrefix}.${key}`;
    const id = `${idPrefix}-${key}`.replace(/[^A-Za-z0-9_-]/g, '-');
    const type = baseType(p);
    const isRequired = required.has(key);
    const start = key in initial ? initial[key] : p.default;

    if (p.enum && p.enum.length) {
      const select = h('select', { id, name: key });
      if (!isRequired && p.default === undefined) select.append(h('option', { value: '' }, '— default —'));
      p.enum.forEach((v, i) => {
        const opt = h('option', { value: String(i) }, v === null ? '(none)' : String(v));
        if (start !== undefined && v === start) opt.selected = true;
        select.append(opt);
      });
      fields.push(field({ label, control: select, path, errors, help, required: isRequired }));
      getters.push([key, () => (select.value === '' ? { set: false } : { set: true, value: p.enum![Number(select.value)] })]);
    } else if (type === 'boolean') {
      const box = h('input', { id, type: 'checkbox', name: key });
      box.checked = start === true;
      fields.push(field({ label, control: box, path, errors, help, inline: true }));
      getters.push([key, () => ({ set: true, value: box.checked })]);
    } else if (type === 'integer' || type === 'number') {
      const input = h('input', {
        id,
        type: 'number',
        name: key,
        inputmode: type === 'integer' ? 'numeric' : 'decimal',
        step: type === 'integer' ? 1 : 'any',
        min: p.minimum,
        max: p.maximum,
      });
      if (typeof start === 'number') input.value = String(start);
      fields.push(field({ label, control: input, path, errors, help, required: isRequired }));
      getters.push([
        key,
        () => {
          const raw = input.value.trim();
          if (raw === '') return { set: false };
          const n = Number(raw);
          return { set: true, value: Number.isFinite(n) ? n : raw };
        },
      ]);
    } else {
      const input = h('input', {
        id,
        type: p.format === 'email' ? 'email' : p.format === 'password' ? 'password' : 'text',
        name: key,
      });
      if (typeof start === 'string') input.value = start;
      // an emptied field means "empty" when the schema allows it (e.g. no web
      // address prefix) and the default differs; otherwise the default applies
      const emptyMeansEmpty = typeof p.default === 'string' && p.default !== '' && allowsEmpty(p);
      fields.push(field({ label, control: input, path, errors, help, required: isRequired }));
      getters.push([
        key,
        () => {
          const v = input.value;
          if (v === '' && !isRequired && !emptyMeansEmpty) return { set: false };
          return { set: true, value: v };
        },
      ]);
    }
  }

  const element = props.length
    ? h('div', { class: 'settings' }, h('p', { class: 'settings-title' }, 'Settings'), fields)
    : h('p', { class: 'muted small settings' }, 'This app has no settings to choose.');

  return {
    element,
    values() {
      const out: Record<string, unknown> = {};
      for (const [key, get] of getters) {
        const r = get();
        if (r.set) out[key] = r.value;
      }
      return out;
    },
  };
}
