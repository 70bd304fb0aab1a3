// A tiny history-API router: paths like /organisations/:id map to page functions.

export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The element the page draws into (already emptied). */
  root: HTMLElement;
  /** Aborted when the person leaves the page: stop streams and timers. */
  signal: AbortSignal;
}

export type PageFn = (ctx: PageContext) => void | Promise<void>;

interface Route {
  pattern: RegExp;
  keys: string[];
  page: PageFn;
  public: boolean;
}

const routes: Route[] = [];
let notFound: PageFn = ({ root }) => {
  root.textContent = 'Page not found.';
};
let current: AbortController | null = null;
let beforeEach: (path: string, isPublic: boolean) => string | null = () => null;
let afterEach: (path: string) => void = () => {};
let mount: HTMLElement | null = null;

export function route(path: string, page: PageFn, opts: { public?: boolean } = {}): void {
  const keys: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        keys.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  routes.push({ pattern: new RegExp(`^${source}/?$`), keys, page, public: !!opts.public });
}

export function setNotFound(page: PageFn): void {
  notFound = page;
}

/** `guard` may return a path to redirect to (e.g. /login) before a page is shown. */
export function setGuards(
  guard: (path: string, isPublic: boolean) => string | null,
  after: (path: string) => void,
): void {
  beforeEach = guard;
  afterEach = after;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  void render();
}

export function currentPath(): string {
  return location.pathname + location.search;
}

export async function render(): Promise<void> {
  if (!mount) return;
  const path = location.pathname;
  let match: { route: Route; m: RegExpExecArray } | null = null;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (m) {
      match = { route: r, m };
      break;
    }
  }
  const redirect = beforeEach(path, match ? match.route.public : false);
  if (redirect && redirect !== currentPath()) {
    history.replaceState(null, '', redirect);
    return render();
  }
  current?.abort();
  current = new AbortController();
  const params: Record<string, string> = {};
  if (match) match.route.keys.forEach((k, i) => (params[k] = decodeURIComponent(match!.m[i + 1] ?? '')));
  // each page draws into its own element, so a page still finishing work after
  // the person left it can only touch a detached element
  const root = document.createElement('div');
  root.className = 'page-body';
  mount.replaceChildren(root);
  afterEach(path);
  window.scrollTo(0, 0);
  const ctx: PageContext = { params, query: new URLSearchParams(location.search), root, signal: current.signal };
  try {
    await (match ? match.route.page(ctx) : notFound(ctx));
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return;
    console.error(e);
  }
}

export function start(el: HTMLElement): void {
  mount = el;
  window.addEventListener('popstate', () => void render());
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a[data-link]') as HTMLAnchorElement | null;
    if (!a || a.target || a.origin !== location.origin) return;
    ev.preventDefault();
    navigate(a.pathname + a.search);
  });
  void render();
}
