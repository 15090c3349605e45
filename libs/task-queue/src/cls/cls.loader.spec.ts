import { describe, expect, it } from '@jest/globals';
import type { ModuleRef } from '@nestjs/core';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { clsLoadedAlready, importsClsModule, loadCls } from './cls.loader.js';

/** The token nestjs-cls's `ClsService` class is, in a fake package. */
class ClsService {}
const service = { isActive: () => false, get: () => undefined, set: () => undefined };
const api = { ClsService, UseCls: () => () => undefined };

/** A ModuleRef that has `provided` under its token, or nothing. */
const moduleRefWith = (provided?: object) =>
  ({
    get: (token: unknown) => {
      if (provided && token === ClsService) return provided;
      throw new Error('not found');
    },
  }) as unknown as ModuleRef;

const failing = (code: string) => () =>
  Promise.reject(Object.assign(new Error(`failed (${code})`), { code }));

describe('loadCls', () => {
  it("finds the application's ClsService by the package's class, named or default exports", async () => {
    await expect(loadCls(moduleRefWith(service), () => Promise.resolve(api))).resolves.toEqual({
      api,
      service,
    });
    const commonJs = { default: api };
    await expect(loadCls(moduleRefWith(service), () => Promise.resolve(commonJs))).resolves.toEqual(
      { api, service },
    );
  });

  it('says what is missing: ClsModule, or the package', async () => {
    await expect(loadCls(moduleRefWith(), () => Promise.resolve(api))).resolves.toBe(
      'the application does not import ClsModule',
    );
    for (const code of ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']) {
      await expect(loadCls(moduleRefWith(), failing(code))).resolves.toBe(
        'the package nestjs-cls is not installed',
      );
    }
    await expect(loadCls(moduleRefWith(), failing('ERR_REQUIRE_ESM'))).resolves.toMatch(
      /nestjs-cls cannot be loaded here/,
    );
  });

  it('throws any other failure to load the package, rather than take it for its absence', async () => {
    await expect(loadCls(moduleRefWith(), failing('ERR_SYNTAX'))).rejects.toThrow(
      'failed (ERR_SYNTAX)',
    );
  });
});

describe('importsClsModule', () => {
  class AppModule {}
  class ClsModule {}
  it("finds nestjs-cls's ClsModule among the application's modules, by its class", () => {
    expect(importsClsModule([{ metatype: AppModule }, { metatype: ClsModule }])).toBe(true);
  });

  it('finds none in an application without it (or with modules that have no class)', () => {
    expect(importsClsModule([{ metatype: AppModule }, { metatype: undefined }])).toBe(false);
    expect(importsClsModule([])).toBe(false);
  });
});

describe('clsLoadedAlready', () => {
  it('is whether the module cache holds nestjs-cls as this package resolves it', () => {
    const { resolve } = createRequire(import.meta.url);
    const cache: NodeJS.Require['cache'] = {};
    expect(clsLoadedAlready({ resolve, cache })).toBe(false);
    cache[resolve('nestjs-cls')] = {} as NodeJS.Module;
    expect(clsLoadedAlready({ resolve, cache })).toBe(true);
  });

  it("is true under Node once an ES module imported nestjs-cls (it is CommonJS: Node's cache)", () => {
    // Jest has a module registry of its own: the premise is checked in a process of Node's.
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(${JSON.stringify(import.meta.url)});
      const path = require.resolve('nestjs-cls');
      const before = path in require.cache;
      await import('nestjs-cls');
      console.log(JSON.stringify([before, path in require.cache]));`;
    const { stdout, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect({ stdout: stdout.trim(), stderr }).toEqual({ stdout: '[false,true]', stderr: '' });
  });

  it('is false where nestjs-cls is not installed', () => {
    expect(clsLoadedAlready(createRequire('file:///nowhere/at/all/index.js'))).toBe(false);
  });
});
