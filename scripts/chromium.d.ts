/** Where Debian's chromium package puts it. */
export declare const CHROMIUM: string;
/** Headless, no sandbox (root in CI), and none of its own network traffic. */
export declare const CHROMIUM_ARGS: string[];
