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
