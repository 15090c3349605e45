// Per-job dependency injection: providers made for each run, their hooks on the run's outcome,
// TASK_JOB and @TaskInject(). On Redis only: what is made for a run does not depend on the backend
// that delivered its job.
import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { Job } from 'bullmq';
import {
  Task,
  TASK_JOB,
  TaskDefinitionError,
  TaskFailedError,
  TaskInject,
  TaskQueues,
  type OnTaskFailure,
  type OnTaskSuccess,
  type TaskContext,
} from '@app/task-queue';
import { eventually } from './support/redis.js';
import { testBackend } from './support/backend.js';
import { QUIET, startTaskApp } from './support/task-app.js';

/** What the per-job sessions did, by session id. */
@Injectable()
class Ledger {
  readonly events: string[] = [];
  private next = 0;
  nextId() {
    return ++this.next;
  }
}

/** A stand-in for a database session: per job, committed or rolled back by its hooks. */
@Injectable({ scope: Scope.REQUEST })
class Session implements OnTaskSuccess, OnTaskFailure {
  readonly id: number;
  private state: 'open' | 'committed' | 'rolled back' = 'open';
  constructor(
    private readonly ledger: Ledger,
    @Inject(TASK_JOB) private readonly job: Job,
  ) {
    this.id = ledger.nextId();
  }

  write(what: string) {
    if (this.state !== 'open') throw new Error(`session ${this.id} is ${this.state}`);
    this.ledger.events.push(`${this.id}:write:${what}`);
  }

  async onTaskSuccess() {
    if ((this.job.data as { failCommit?: boolean }).failCommit) throw new Error('commit refused');
    this.state = 'committed';
    this.ledger.events.push(`${this.id}:commit`);
  }

  async onTaskFailure() {
    this.state = 'rolled back';
    this.ledger.events.push(`${this.id}:rollback`);
  }
}

/** A per-job provider that depends on the session: the session it gets is the task's. */
@Injectable({ scope: Scope.REQUEST })
class UsersRepository {
  constructor(readonly session: Session) {}
}

/**
 * A per-job provider with hooks of its own that depends on the session: its hooks must run
 * before the session's (dependents first), so what it writes in them is committed too.
 */
@Injectable({ scope: Scope.REQUEST })
class Outbox implements OnTaskSuccess, OnTaskFailure {
  constructor(private readonly session: Session) {}

  onTaskSuccess() {
    this.session.write('outbox-flush');
  }

  onTaskFailure() {
    this.session.write('outbox-discard');
  }
}

/** A per-job session made by a factory provider: its hooks run as a class's do. */
class FactorySession implements OnTaskSuccess, OnTaskFailure {
  constructor(
    private readonly ledger: Ledger,
    private readonly job: Job,
  ) {}

  onTaskSuccess() {
    this.ledger.events.push(`factory#${this.job.id}:commit`);
  }

  onTaskFailure() {
    this.ledger.events.push(`factory#${this.job.id}:rollback`);
  }
}

const FACTORY_SESSION = 'FACTORY_SESSION';

/** Shapes the compiled per-job factories leave to Nest's injector: they must work all the same. */
@Injectable({ scope: Scope.REQUEST })
class PropertyInjected {
  @Inject(Ledger) readonly ledger!: Ledger;
  @Inject(TASK_JOB) readonly job!: Job;
}

/** A per-job provider that cannot be made, as a session whose database refuses connections. */
@Injectable({ scope: Scope.REQUEST })
class Unopenable {
  constructor(readonly ledger: Ledger) {
    throw new Error('cannot open a session');
  }
}

const JOB_LABEL = 'JOB_LABEL';

/** A task class that is itself per job: its instance is made for each job. */
@Injectable({ scope: Scope.REQUEST })
class PerJobTasks {
  static made = 0;
  constructor(readonly session: Session) {
    PerJobTasks.made += 1;
  }

  @Task()
  async perJobClass(_ctx: TaskContext, _payload: object, session: Session) {
    this.session.write('per-job-class');
    return { sameSession: this.session === session, session: session.id };
  }
}

@Injectable()
class Clock {
  readonly id = Math.random();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class DiTasks {
  lateWrite?: string;

  @Task()
  async useSession(
    _ctx: TaskContext,
    payload: { failCommit?: boolean },
    session: Session,
    clock: Clock,
  ) {
    session.write('x');
    return { session: session.id, clock: clock.id, failCommit: payload.failCommit ?? false };
  }

  @Task()
  async writeThenThrow(_ctx: TaskContext, _payload: object, session: Session) {
    session.write('doomed');
    throw new Error('validation failed');
  }

  @Task({ timeout: 0.3 })
  async writeThenHang(_ctx: TaskContext, _payload: object, session: Session) {
    session.write('before');
    await sleep(800);
    try {
      session.write('after-timeout');
    } catch (error) {
      this.lateWrite = (error as Error).message;
    }
  }

  @Task()
  async tokenA(_ctx: TaskContext, _payload: object, @Inject('GREETING_A') greeting: string) {
    return greeting;
  }

  @Task()
  async tokenB(_ctx: TaskContext, _payload: object, @Inject('GREETING_B') greeting: string) {
    return greeting;
  }

  @Task()
  async theJob(ctx: TaskContext, _payload: object, @Inject(TASK_JOB) job: Job) {
    return { same: job.id === ctx.job.id, name: job.name };
  }

  @Task()
  async needsUnopenable(_ctx: TaskContext, _payload: object, _unopenable: Unopenable) {
    return 'never reached';
  }

  @Task()
  async fallbacks(
    ctx: TaskContext,
    _payload: object,
    viaProperties: PropertyInjected,
    @Inject(JOB_LABEL) label: string,
  ) {
    return {
      ledger: viaProperties.ledger instanceof Ledger,
      job: viaProperties.job.id === ctx.job.id,
      label: label === `fallbacks#${ctx.job.id}`,
    };
  }

  @Task()
  async withOutbox(
    _ctx: TaskContext,
    payload: { fail?: boolean },
    outbox: Outbox,
    session: Session,
  ) {
    session.write('body');
    if (payload.fail) throw new Error('body failed');
    return { session: session.id, outbox: outbox instanceof Outbox };
  }

  @Task()
  async withFactorySession(
    ctx: TaskContext,
    payload: { fail?: boolean },
    @Inject(FACTORY_SESSION) session: FactorySession,
  ) {
    if (payload.fail) throw new Error('body failed');
    return { job: ctx.job.id, factory: session instanceof FactorySession };
  }

  @Task()
  async throughRepository(
    _ctx: TaskContext,
    _payload: object,
    repository: UsersRepository,
    session: Session,
  ) {
    repository.session.write('via-repo');
    return { sameSession: repository.session === session, session: session.id };
  }
}

@Module({
  providers: [
    Ledger,
    Session,
    Outbox,
    UsersRepository,
    PropertyInjected,
    PerJobTasks,
    Unopenable,
    Clock,
    DiTasks,
    {
      provide: JOB_LABEL,
      scope: Scope.REQUEST,
      useFactory: (job: Job) => `${job.name}#${job.id}`,
      inject: [TASK_JOB],
    },
    {
      provide: FACTORY_SESSION,
      scope: Scope.REQUEST,
      useFactory: (ledger: Ledger, job: Job) => new FactorySession(ledger, job),
      inject: [Ledger, TASK_JOB],
    },
    { provide: 'GREETING_A', useValue: 'hello from A' },
    { provide: 'GREETING_B', useValue: 'hello from B' },
  ],
})
class DiModule {}

// Per-job providers are made by factories compiled at bootstrap where their shape allows, else
// by Nest's injector: every behaviour holds either way, so the spec runs on each.
describe.each(['compiled', 'injector'] as const)(
  'per-job dependency injection (%s)',
  (perJobProviders) => {
    const backend = testBackend('di');
    let app: TestingModule;
    let ledger: Ledger;
    let queues: TaskQueues;

    beforeAll(async () => {
      app = await startTaskApp({
        backend,
        imports: [DiModule],
        options: { perJobProviders },
        logger: QUIET,
      });
      ledger = app.get(Ledger);
      queues = app.get(TaskQueues);
    });

    it('gives each job its own session and every job the same singleton', async () => {
      const queue = queues.get('default');
      type Seen = { session: number; clock: number };
      const [first, second] = await Promise.all([
        queue.apply<Seen>('useSession'),
        queue.apply<Seen>('useSession'),
      ]);
      expect(first.session).not.toBe(second.session);
      expect(first.clock).toBe(second.clock);
      expect(first.clock).toBe(app.get(Clock).id);
      for (const { session } of [first, second]) {
        expect(ledger.events.filter((e) => e.startsWith(`${session}:`))).toEqual([
          `${session}:write:x`,
          `${session}:commit`,
        ]);
      }
    });

    it('rolls the session back when the task throws', async () => {
      const queue = queues.get('default');
      const before = ledger.events.length;
      await expect(queue.apply('writeThenThrow')).rejects.toThrow('validation failed');
      expect(ledger.events.slice(before)).toEqual([
        expect.stringMatching(/^\d+:write:doomed$/),
        expect.stringMatching(/^\d+:rollback$/),
      ]);
    });

    it('rolls back on timeout at once, and the body’s late write is refused', async () => {
      const queue = queues.get('default');
      const before = ledger.events.length;
      await expect(queue.apply('writeThenHang')).rejects.toThrow(/timed out after 0.3 s/);
      expect(ledger.events.slice(before)).toEqual([
        expect.stringMatching(/^\d+:write:before$/),
        expect.stringMatching(/^\d+:rollback$/),
      ]);
      const tasks = app.get(DiTasks);
      const refused = await eventually(() => tasks.lateWrite, 5000, 'the late write');
      expect(refused).toMatch(/is rolled back/);
      expect(ledger.events.some((e) => e.endsWith('after-timeout'))).toBe(false);
    });

    it('fails the job when a success hook throws', async () => {
      const queue = queues.get('default');
      const error = await queue.apply('useSession', { failCommit: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect((error as Error).message).toContain('commit refused');
    });

    it('gives two methods with @Inject on the same parameter index their own tokens', async () => {
      const queue = queues.get('default');
      await expect(queue.apply('tokenA')).resolves.toBe('hello from A');
      await expect(queue.apply('tokenB')).resolves.toBe('hello from B');
    });

    it('injects the running job with @Inject(TASK_JOB)', async () => {
      await expect(queues.get('default').apply('theJob')).resolves.toEqual({
        same: true,
        name: 'theJob',
      });
    });

    it('shares the job’s session with the per-job providers that depend on it, and commits it', async () => {
      const { sameSession, session } = await queues
        .get('default')
        .apply<{ sameSession: boolean; session: number }>('throughRepository');
      expect(sameSession).toBe(true);
      expect(ledger.events.filter((e) => e.startsWith(`${session}:`))).toEqual([
        `${session}:write:via-repo`,
        `${session}:commit`,
      ]);
    });

    it('resolves per-job providers with property injection or a factory through Nest', async () => {
      await expect(queues.get('default').apply('fallbacks')).resolves.toEqual({
        ledger: true,
        job: true,
        label: true,
      });
    });

    it('makes a per-job task class for each job, sharing the job’s session with its parameters', async () => {
      const queue = queues.get('default');
      const before = PerJobTasks.made;
      type Seen = { sameSession: boolean; session: number };
      const [first, second] = await Promise.all([
        queue.apply<Seen>('perJobClass'),
        queue.apply<Seen>('perJobClass'),
      ]);
      expect(PerJobTasks.made - before).toBe(2);
      expect([first.sameSession, second.sameSession]).toEqual([true, true]);
      expect(first.session).not.toBe(second.session);
      expect(ledger.events).toContain(`${first.session}:commit`);
    });

    it('fails the job with the error of a per-job provider that cannot be made', async () => {
      const queue = queues.get('default');
      const error = await queue.apply('needsUnopenable').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect((error as Error).message).toContain('cannot open a session');
      await expect(queue.apply('tokenA')).resolves.toBe('hello from A');
    });

    it('runs the hooks of dependents first: the outbox writes before the session commits', async () => {
      const queue = queues.get('default');
      const { session } = await queue.apply<{ session: number }>('withOutbox', {});
      expect(ledger.events.filter((e) => e.startsWith(`${session}:`))).toEqual([
        `${session}:write:body`,
        `${session}:write:outbox-flush`,
        `${session}:commit`,
      ]);
      const failed = await queue.apply('withOutbox', { fail: true }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(TaskFailedError);
      const last = ledger.events.filter((e) => e.endsWith(':write:outbox-discard')).at(-1)!;
      const id = last.split(':')[0];
      expect(ledger.events.filter((e) => e.startsWith(`${id}:`))).toEqual([
        `${id}:write:body`,
        `${id}:write:outbox-discard`,
        `${id}:rollback`,
      ]);
    });

    it('runs the hooks of a per-job provider made by a factory', async () => {
      const queue = queues.get('default');
      const { job } = await queue.apply<{ job: string }>('withFactorySession', {});
      expect(ledger.events).toContain(`factory#${job}:commit`);
      const { id } = await queue.enqueue('withFactorySession', { fail: true });
      await eventually(() => (ledger.events.includes(`factory#${id}:rollback`) ? true : undefined));
    });
  },
);

const TOKEN = 'TOKEN';

/** The issue's class: a method that is not a task, with @Inject(TOKEN), before a task. */
@Injectable()
class HelperFirstTasks {
  helper(_a: unknown, _b: unknown, @Inject(TOKEN) x: unknown) {
    return x;
  }

  @Task()
  async tick(_ctx: TaskContext, _payload: object, clock: Clock) {
    return { clock: clock instanceof Clock, id: clock.id };
  }
}

/** The same, with the fix bootstrap names: the task's parameter marked with @TaskInject. */
@Injectable()
class MarkedTasks {
  helper(_a: unknown, _b: unknown, @Inject(TOKEN) x: unknown) {
    return x;
  }

  @Task()
  async markedTick(_ctx: TaskContext, _payload: object, @TaskInject(Clock) clock: Clock) {
    return { clock: clock instanceof Clock, id: clock.id };
  }
}

const tokenProvider = { provide: TOKEN, useValue: 'the helper’s token' };

describe('an @Inject() on a parameter of a method that is not a task', () => {
  it('fails bootstrap when it may be meant for a task parameter, naming both methods and the fix', async () => {
    @Module({ providers: [Clock, HelperFirstTasks, tokenProvider] })
    class IssueModule {}
    const backend = testBackend('di-inject-issue');
    const error = await startTaskApp({ backend, imports: [IssueModule], logger: QUIET }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TaskDefinitionError);
    expect((error as Error).message).toMatch(
      /^HelperFirstTasks\.tick: parameter #2 may be given by an @Inject\(\) on a parameter of 'HelperFirstTasks\.helper'.*@TaskInject\(TOKEN\)/,
    );
  });

  it('never reaches the task marked with @TaskInject: each job gets its Clock, not TOKEN', async () => {
    @Module({ providers: [Clock, MarkedTasks, tokenProvider] })
    class FixedModule {}
    // A namespace of its own: no worker of another application may take its job.
    const backend = testBackend('di-inject-fixed');
    const app = await startTaskApp({ backend, imports: [FixedModule], logger: QUIET });
    const seen = await app.get(TaskQueues).get('default').apply('markedTick');
    expect(seen).toEqual({ clock: true, id: app.get(Clock).id });
  });
});
