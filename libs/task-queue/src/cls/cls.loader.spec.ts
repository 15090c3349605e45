import { describe, expect, it } from '@jest/globals';
import type { ModuleRef } from '@nestjs/core';
import { importsClsModule, loadCls } from './cls.loader.js';

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
