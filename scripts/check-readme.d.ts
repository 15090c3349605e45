/** A ```ts block of a Markdown file. */
export interface ReadmeBlock {
  /** 1-based position among the file's ts blocks. */
  number: number;
  /** Markdown line of the block's first code line. */
  line: number;
  code: string;
  /** The file it is checked as: its `// path` comment, or `readme-block-<number>.ts`. */
  path: string;
}

export function extractBlocks(markdown: string): ReadmeBlock[];

/**
 * Writes every ts block of `markdown` under `work` as its file, after generating the clients of
 * its Prisma schemas (```prisma blocks named `// prisma/<file>.prisma`) there. False when
 * `prisma generate` failed, having said why on stderr.
 */
export function writeBlocks(markdown: string, work: string, shown?: string): boolean;
