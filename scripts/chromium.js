// Debian's Chromium, headless, as the dashboard spec and scripts/trace-picture.js start it.
// Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.

/** Where Debian's chromium package puts it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, no sandbox (root in CI), and none of its own network traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
