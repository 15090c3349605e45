import { createRequire } from 'node:module';

/** Files of express and Bull Board that this process has loaded (the dashboard's packages). */
export function dashboardPackagesLoaded(): string[] {
  return Object.keys(createRequire(`${process.cwd()}/`).cache).filter((file) =>
    /[\\/]node_modules[\\/](express|@bull-board)[\\/]/.test(file),
  );
}
