import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

export const viewsDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../views');

/** Server-rendered pages; eta escapes every `<%= %>` so user input never becomes markup. */
export function createViewRenderer(cache: boolean) {
  const eta = new Eta({ views: viewsDirectory, autoEscape: true, cache, autoTrim: false });
  return (template: string, data: Record<string, unknown>): string => eta.render(template, data);
}

export type RenderView = ReturnType<typeof createViewRenderer>;
