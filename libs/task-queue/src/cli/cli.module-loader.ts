import 'reflect-metadata';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DynamicModule, Type } from '@nestjs/common';
import { CliInputError } from './cli-input.error.js';

/** @internal What `--module` names: the application's root module. */
export type AppModuleRef = Type<unknown> | DynamicModule;

const EXAMPLE = '--module dist/app.module.js';

const isModule = (value: unknown): value is AppModuleRef =>
  typeof value === 'function' ||
  (typeof value === 'object' &&
    value !== null &&
    typeof (value as { module?: unknown }).module === 'function');

/** The names a loaded file exports, the CommonJS ones (under `default`) included. */
function exportNames(namespace: Record<string, unknown>): string[] {
  const names = new Set(Object.keys(namespace));
  const cjs = namespace.default;
  if (typeof cjs === 'object' && cjs !== null) {
    for (const name of Object.keys(cjs)) names.add(name);
  }
  names.delete('__esModule');
  return [...names].sort();
}

/** An export by name, of an ES module or (under `default`) of a CommonJS one. */
function exportOf(namespace: Record<string, unknown>, name: string): unknown {
  if (namespace[name] !== undefined) return namespace[name];
  const cjs = namespace.default;
  return typeof cjs === 'object' && cjs !== null
    ? (cjs as Record<string, unknown>)[name]
    : undefined;
}

/**
 * @internal Loads the compiled root module that `--module FILE[#Export]` names, relative to
 * `cwd`, as an ES module or a CommonJS one. The export is `#Export`, else `AppModule`, else the
 * default export. Every mistake is a `CliInputError` that says what to fix.
 */
export async function loadAppModule(spec: string | undefined, cwd: string): Promise<AppModuleRef> {
  if (spec === undefined || spec === '') {
    throw new CliInputError(
      `--module is missing: name your compiled root module (the one that imports ` +
        `TaskQueueModule), e.g. ${EXAMPLE} or ${EXAMPLE}#AppModule.`,
    );
  }
  const hash = spec.lastIndexOf('#');
  const file = hash === -1 ? spec : spec.slice(0, hash);
  const name = hash === -1 ? undefined : spec.slice(hash + 1);
  const path = resolve(cwd, file);
  if (/\.(c|m)?ts$/.test(file) && !file.endsWith('.d.ts')) {
    throw new CliInputError(
      `--module ${file} is TypeScript source: build your app (tsc or nest build) and pass the ` +
        `compiled file, e.g. ${EXAMPLE}.`,
    );
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new CliInputError(
      `--module ${file}: no such file (looked for ${path}). Build your app first (tsc or nest ` +
        `build) and pass the compiled .js file of your root module, e.g. ${EXAMPLE}.`,
    );
  }
  const namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const chosen =
    name !== undefined
      ? exportOf(namespace, name)
      : (exportOf(namespace, 'AppModule') ?? defaultExport(namespace));
  if (chosen === undefined) {
    const exported = exportNames(namespace);
    const wanted = name === undefined ? 'no AppModule and no default export' : `no '${name}'`;
    throw new CliInputError(
      `--module ${file} exports ${wanted} (it exports: ${exported.join(', ') || 'nothing'}). ` +
        `Name the module's export after '#': --module ${file}#${exported[0] ?? 'AppModule'}.`,
    );
  }
  // Nest marks providers and controllers; a module class carries no such mark.
  const marked = ['__injectable__', '__controller__'].some(
    (mark) => typeof chosen === 'function' && Reflect.getMetadata(mark, chosen) === true,
  );
  if (!isModule(chosen) || marked) {
    throw new CliInputError(
      `--module ${spec}: that export is not a Nest module (it is ${marked ? 'a provider or controller' : `a ${typeof chosen}`}). ` +
        `Name your root module's export after '#', e.g. --module ${file}#AppModule.`,
    );
  }
  return chosen;
}

/** The default export, when it is a module itself (not a CommonJS file's exports object). */
function defaultExport(namespace: Record<string, unknown>): unknown {
  const value = namespace.default;
  return isModule(value) ? value : undefined;
}
