// Data shared between pages, loaded once per visit.
import { api } from './api';
import type { App } from './types';

let catalog: Promise<App[]> | null = null;

export function getCatalog(): Promise<App[]> {
  if (!catalog) {
    catalog = api.catalog().catch((e: unknown) => {
      catalog = null;
      throw e;
    });
  }
  return catalog;
}

export function appName(apps: App[], id: string): string {
  return apps.find((a) => a.id === id)?.name ?? id;
}

export function forgetAll(): void {
  catalog = null;
}
