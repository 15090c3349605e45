import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, REQUEST } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { compileJobFactory, JobScope } from './task-job-scope.js';
import { TASK_JOB } from '../task-queue.constants.js';

@Injectable()
class Pool {}

@Injectable({ scope: Scope.REQUEST })
class Session {
  committed = false;
  constructor(
    readonly pool: Pool,
    @Inject(TASK_JOB) readonly job: object,
  ) {}
  onTaskSuccess() {
    this.committed = true;
  }
}

@Injectable({ scope: Scope.REQUEST })
class Repository {
  constructor(readonly session: Session) {}
  onTaskSuccess() {}
}

/** Default scope, but per job all the same: it depends on a per-job provider. */
@Injectable()
class Service {
  constructor(readonly repository: Repository) {}
}

@Injectable({ scope: Scope.REQUEST })
class ByProperty {
  @Inject(Pool) readonly pool!: Pool;
}

@Injectable({ scope: Scope.REQUEST, durable: true })
class Durable {}

@Module({
  imports: [DiscoveryModule],
  providers: [
    Pool,
    Session,
    Repository,
    Service,
    ByProperty,
    Durable,
    { provide: 'BY_FACTORY', scope: Scope.REQUEST, useFactory: () => ({}) },
    {
      provide: TASK_JOB,
      scope: Scope.REQUEST,
      useFactory: (job: unknown) => job,
      inject: [REQUEST],
    },
  ],
})
class ScopeModule {}

describe('compileJobFactory', () => {
  let app: TestingModule;
  const wrapperOf = (token: unknown) =>
    app
      .get(DiscoveryService)
      .getProviders()
      .find((wrapper) => wrapper.token === token)!;

  beforeAll(async () => {
    app = await Test.createTestingModule({ imports: [ScopeModule] }).compile();
    await app.init();
  });

  afterAll(() => app.close());

  it('makes per-job classes once per job, with singletons and the job injected', () => {
    const service = compileJobFactory(wrapperOf(Service))!;
    const session = compileJobFactory(wrapperOf(Session))!;
    const job = { id: '1' };
    const scope = new JobScope(job);
    const made = service(scope) as Service;
    expect(made).toBeInstanceOf(Service);
    expect(made.repository.session).toBe(session(scope));
    expect(made.repository.session.job).toBe(job);
    expect(made.repository.session.pool).toBe(app.get(Pool));

    const other = session(new JobScope({ id: '2' })) as Session;
    expect(other).not.toBe(made.repository.session);
    expect(other.pool).toBe(app.get(Pool));
  });

  it('lists the hooks of what one job made, dependents first', () => {
    const scope = new JobScope({ id: '3' });
    const repository = compileJobFactory(wrapperOf(Repository))!(scope) as Repository;
    expect(scope.hooks()).toEqual([repository, repository.session]);
  });

  it('leaves property injection, factories and durable providers to Nest', () => {
    expect(compileJobFactory(wrapperOf(ByProperty))).toBeUndefined();
    expect(compileJobFactory(wrapperOf('BY_FACTORY'))).toBeUndefined();
    expect(compileJobFactory(wrapperOf(Durable))).toBeUndefined();
  });
});
