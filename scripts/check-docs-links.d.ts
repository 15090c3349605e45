/** A link of the built documentation site that leads nowhere. */
export interface BrokenLink {
  /** The page it is on, relative to the site's folder (`guide/intro.html`). */
  page: string;
  href: string;
  /** Why it is broken: the missing page, file or anchor. */
  problem: string;
}

/** The ids GitHub gives the headings of a Markdown file. */
export function githubAnchors(markdown: string): Set<string>;

/**
 * The broken links of the site built into `dist`, served under `base`; links into
 * `repository` (its web address) are checked against this repository's files.
 */
export function brokenLinks(
  dist: string,
  site?: { base: string; repository: string },
): BrokenLink[];

/**
 * The broken relative links of a Markdown file as GitHub shows it (the repo README), `page`
 * being its path relative to `root` (the repository, by default): a missing file, or an anchor
 * no heading makes.
 */
export function brokenMarkdownLinks(file: string, root?: string): BrokenLink[];
