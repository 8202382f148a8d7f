import {
  type DiagramSpec,
  diagramSpecs,
  type GeneratedFile,
  generateDiagramFiles,
  generatedBy,
  markdownHeader,
  mmdPath,
  renderStateDiagram,
  svgPath,
} from './render.js';
import { stampOf, svgStamp } from './svg.js';
import { type DiagramView, diagramViews } from './views.js';

/** One picture `npm run diagrams` draws: its Mermaid file and the SVG drawn from it. */
export interface Drawing {
  name: string;
  title: string;
  /** The machine's source file it is drawn from. */
  source: string;
  mmdPath: string;
  svgPath: string;
  /** The `.mmd` file's content, header included: the SVG's stamp records its SHA-256. */
  mmd: string;
  /**
   * Whether it must be legible at page width. A whole machine that is also cut into views is not: that picture
   * is for Stately and the inspector, the views are for pages.
   */
  pageWidth: boolean;
}

function mmdHeader(source: string): string {
  return `%% ${generatedBy(source)}.\n`;
}

/** Every drawing: each machine whole (for Stately and the inspector), then the page-width views. */
export function drawingsOf(specs: readonly DiagramSpec[], views: readonly DiagramView[]): Drawing[] {
  const cut = new Set(views.map((view) => view.spec.name));
  return [
    ...specs.map((spec) => ({
      name: spec.name,
      title: spec.title,
      source: spec.source,
      mmdPath: mmdPath(spec),
      svgPath: svgPath(spec),
      mmd: mmdHeader(spec.source) + renderStateDiagram(spec.machine),
      pageWidth: !cut.has(spec.name),
    })),
    ...views.map((view) => ({
      name: view.name,
      title: view.title,
      source: view.spec.source,
      mmdPath: `diagrams/${view.name}.mmd`,
      svgPath: `diagrams/${view.name}.svg`,
      mmd: mmdHeader(view.spec.source) + view.diagram,
      pageWidth: true,
    })),
  ];
}

/** The page that shows the drawings to the library's users; its figures are generated, its prose is not. */
export const MACHINES_DOC = 'docs/machines.md';

const figurePattern = /(<!-- figure:([a-z0-9-]+):start -->)[\s\S]*?(<!-- figure:\2:end -->)/g;

/** The names of the figures a page has markers for, in order. */
export function figureNames(markdown: string): string[] {
  return [...markdown.matchAll(new RegExp(figurePattern.source, 'g'))].map((match) => match[2] as string);
}

/**
 * Fills each `<!-- figure:<name>:start -->` … `<!-- figure:<name>:end -->` pair of a page in docs/ with that
 * drawing's SVG and a link to its Mermaid source, by paths relative to the page (GitHub and the npm registry
 * resolve those; an absolute path would point at one host). A marker naming no drawing is an error, so a typo
 * cannot leave a figure silently unmanaged.
 */
export function replaceFigures(markdown: string, drawings: readonly Drawing[]): string {
  return markdown.replace(figurePattern, (_match, start: string, name: string, end: string) => {
    const drawing = drawings.find((candidate) => candidate.name === name);
    if (drawing === undefined) {
      const known = drawings.map((candidate) => candidate.name).join(', ');
      throw new Error(`diagrams: ${MACHINES_DOC} marker names unknown figure "${name}"; known: ${known}`);
    }
    return [
      start,
      markdownHeader(drawing.source),
      `![${drawing.title}](../${drawing.svgPath})`,
      '',
      `<sub>Drawn from [\`${drawing.source}\`](../${drawing.source}); Mermaid source:` +
        ` [\`${drawing.name}.mmd\`](../${drawing.mmdPath}).</sub>`,
      end,
    ].join('\n');
  });
}

/**
 * Every generated text file, from the machines alone: the `.mmd` of every drawing, the machines' definitions,
 * diagrams/README.md, and the marked regions of README.md and docs/machines.md when those pages have any
 * (`rootReadme` and `machinesDoc` are their current content, undefined when there is no such page).
 */
export function generateFiles(
  pages: { rootReadme?: string | undefined; machinesDoc?: string | undefined },
  specs: readonly DiagramSpec[] = diagramSpecs,
  views: readonly DiagramView[] = diagramViews,
): GeneratedFile[] {
  const files = generateDiagramFiles(specs, pages.rootReadme, views);
  const drawings = drawingsOf(specs, views);
  for (const drawing of drawings.slice(specs.length))
    files.push({ path: drawing.mmdPath, content: drawing.mmd });
  if (pages.machinesDoc !== undefined && figureNames(pages.machinesDoc).length > 0) {
    files.push({ path: MACHINES_DOC, content: replaceFigures(pages.machinesDoc, drawings) });
  }
  return files;
}

/**
 * The generated files that differ from what `read` finds (undefined: no such file): a text file whose content is
 * not what the machines give, or an SVG whose stamp does not record its drawing's current `.mmd` and renderer.
 * Reads only, so `npm run diagrams -- --check` and the tests need no browser.
 */
export function staleFiles(
  files: readonly GeneratedFile[],
  drawings: readonly Drawing[],
  read: (path: string) => string | undefined,
): string[] {
  const stale = files.filter((file) => read(file.path) !== file.content).map((file) => file.path);
  for (const drawing of drawings) {
    const svg = read(drawing.svgPath);
    if (svg === undefined || stampOf(svg) !== svgStamp(drawing.mmdPath, drawing.mmd))
      stale.push(drawing.svgPath);
  }
  return stale;
}
