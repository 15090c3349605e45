// Loads every entry of the package (with require() in the CommonJS app) and reports what each
// exports.
import * as main from 'nestjs-task-queue';
import * as dashboard from 'nestjs-task-queue/dashboard';
import * as testing from 'nestjs-task-queue/testing';
import { dashboardPackagesLoaded } from './loaded.js';

// `default` is what TypeScript's CommonJS interop adds to a namespace import.
const names = (entry: object) =>
  Object.keys(entry)
    .filter((name) => name !== 'default')
    .sort();

console.log(
  JSON.stringify({
    main: names(main),
    testing: names(testing),
    dashboard: names(dashboard),
    dashboardPackages: dashboardPackagesLoaded().length,
  }),
);
