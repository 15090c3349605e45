import { createRequire } from 'node:module';
import type { ModuleRef } from '@nestjs/core';

/** @internal The parts of nestjs-cls's `ClsService` the module uses. */
export interface ClsServiceLike {
  isActive(): boolean;
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** @internal The options of nestjs-cls's `@UseCls()` that the module sets. */
export interface UseClsOptions<A extends unknown[]> {
  resolveProxyProviders: boolean;
  runOptions: { ifNested: 'override' };
  generateId: boolean;
  idGenerator: (...args: A) => string;
  setup: (cls: ClsServiceLike, ...args: A) => void;
}

/** @internal What the module takes from the `nestjs-cls` package. */
export interface ClsApi {
  /** The class, as the token of the service in the application's container. */
  ClsService: abstract new (...args: never[]) => unknown;
  UseCls<A extends unknown[]>(
    options: UseClsOptions<A>,
  ): (target: object, key: string, descriptor: PropertyDescriptor) => void;
}

/** @internal nestjs-cls as the application has it: its API and its `ClsService`. */
export interface LoadedCls {
  api: ClsApi;
  service: ClsServiceLike;
}

/**
 * Why a package cannot be in the application, from the error of its import: not installed, or
 * CommonJS that requires an ESM-only package (Nest) where `require()` of ESM is not supported
 * (Jest's module loader before Node 24.9), where the application could not load it either.
 * `undefined` for any other failure, which is thrown, not taken for its absence.
 */
export function whyUnloadable(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'is not installed';
  if (code === 'ERR_REQUIRE_ESM') return 'cannot be loaded here (require() of ESM unsupported)';
  return undefined;
}

/** @internal Why nestjs-cls is not used, when the application does not import `ClsModule`. */
export const NO_CLS_MODULE = 'the application does not import ClsModule';

/**
 * @internal Whether one of the application's modules is nestjs-cls's `ClsModule` (`forRoot`,
 * `forFeature` and the bare class alike), told by the class's name so that the package need not
 * be imported to ask: importing it starts an AsyncLocalStorage for the whole process, whose
 * hooks every promise of the process then pays for (docs/benchmarks.md). A module of the
 * application's own named `ClsModule` counts too (nestjs-cls is then imported and looked up
 * as before). A `ClsModule` whose name a minifier changed is not found by this; the module
 * asks {@link clsLoadedAlready} as well.
 */
export const importsClsModule = (modules: Iterable<{ metatype: unknown }>): boolean => {
  for (const { metatype } of modules) {
    if ((metatype as { name?: unknown } | undefined)?.name === 'ClsModule') return true;
  }
  return false;
};

/**
 * @internal Whether nestjs-cls, as this package resolves it, is loaded in this process already
 * (nestjs-cls is CommonJS: `import` and `require` alike put it in Node's module cache). An
 * application that imports `ClsModule` has loaded it, whatever its modules are named, and its
 * cost is paid then. A copy of nestjs-cls other than the one this package resolves (a bundle
 * that inlines it, a second install) is not seen here; nor would that copy's `ClsService` be
 * found by {@link loadCls}, which looks up this package's.
 */
export function clsLoadedAlready(
  require: Pick<NodeJS.Require, 'resolve' | 'cache'> = createRequire(import.meta.url),
): boolean {
  try {
    return require.resolve('nestjs-cls') in require.cache;
  } catch {
    // Not installed: not loaded.
    return false;
  }
}

/**
 * @internal nestjs-cls, when the application has it installed and its `ClsService` in the
 * container (it imports `ClsModule`); otherwise a sentence saying what is missing. nestjs-cls
 * is an optional peer: imported here, when the module starts, never by the package's entry.
 */
export async function loadCls(
  moduleRef: ModuleRef,
  load: () => Promise<unknown> = () => import('nestjs-cls'),
): Promise<LoadedCls | string> {
  let api: ClsApi;
  try {
    api = namespaceOf(await load()) as ClsApi;
  } catch (error) {
    const why = whyUnloadable(error);
    if (why) return `the package nestjs-cls ${why}`;
    throw error;
  }
  const service = lookUp<ClsServiceLike>(moduleRef, api.ClsService);
  return service ? { api, service } : NO_CLS_MODULE;
}

/** A provider of the application by `token`, in any module; `undefined` when it has none. */
export function lookUp<T>(moduleRef: ModuleRef, token: unknown): T | undefined {
  try {
    return moduleRef.get<unknown, T>(token as string, { strict: false });
  } catch {
    // ModuleRef says "not found" only by throwing.
    return undefined;
  }
}

/** A CommonJS package's exports, as `import()` gives them (named, or under `default`). */
export const namespaceOf = (loaded: unknown): unknown => {
  const module = loaded as { default?: unknown };
  return module.default && typeof module.default === 'object' ? module.default : module;
};
