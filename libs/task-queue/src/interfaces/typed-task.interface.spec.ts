// What the compiler tells a user who gets a typed call wrong: the TypeScript compiler API
// checks small snippets against the library's source, as a user's editor would.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

const HEADER = `
import { Injectable } from '@nestjs/common';
import { Task, TaskQueues, type TaskContext } from 'nestjs-task-queue';
import { TaskQueueTester } from 'nestjs-task-queue/testing';

@Injectable()
export class UsersTasks {
  @Task()
  async sendEmail(_ctx: TaskContext, payload: { to: string; subject: string }) {
    return payload.to.length;
  }

  @Task()
  async cleanup(_ctx: TaskContext) {
    return 'clean';
  }

  helper(value: number) {
    return value;
  }
}

export class Helpers {
  format(value: number) {
    return String(value);
  }
}

declare const queues: TaskQueues;
declare const tester: TaskQueueTester;
const queue = queues.get('default');
`;

/** Each snippet, a module of its own after HEADER. */
const SNIPPETS = {
  wrongPayload: `void queue.enqueue(UsersTasks, 'sendEmail', { to: 42, subject: 'Hi' });`,
  applyWrongPayload: `void queue.apply(UsersTasks, 'sendEmail', { to: 42, subject: 'Hi' });`,
  mapWrongPayload: `void queue.map(UsersTasks, 'sendEmail', [{ to: 42, subject: 'Hi' }]);`,
  testerWrongPayload: `tester.assertEnqueued(UsersTasks, 'sendEmail', { to: 42 });`,
  missingField: `void queue.enqueue(UsersTasks, 'sendEmail', { to: 'a@b' });`,
  extraField: `void queue.enqueue(UsersTasks, 'sendEmail', { to: 'a@b', subject: 'Hi', cc: 'c@d' });`,
  missingPayload: `void queue.enqueue(UsersTasks, 'sendEmail');`,
  unknownMethod: `void queue.enqueue(UsersTasks, 'sendEmial', { to: 'a@b', subject: 'Hi' });`,
  applyUnknownMethod: `void queue.apply(UsersTasks, 'sendEmial', { to: 'a@b', subject: 'Hi' });`,
  mapUnknownMethod: `void queue.map(UsersTasks, 'sendEmial', [{ to: 'a@b', subject: 'Hi' }]);`,
  testerUnknownMethod: `tester.assertNotEnqueued(UsersTasks, 'sendEmial');`,
  notATask: `void queue.enqueue(UsersTasks, 'helper', {});`,
  noTasks: `void queue.enqueue(Helpers, 'format', {});`,
  wellTyped: `
    export async function calls(): Promise<void> {
      const length: number = await queue.apply(UsersTasks, 'sendEmail', { to: 'a@b', subject: 'Hi' });
      const lengths: number[] = await queue.map(UsersTasks, 'sendEmail', [{ to: 'a@b', subject: 'Hi' }]);
      const clean: string = await queue.apply(UsersTasks, 'cleanup');
      await queue.enqueue(UsersTasks, 'cleanup', undefined, { delay: 5 });
      await queue.enqueue('send_email', { anything: ['goes', 1] }, { retries: 2 });
      const named: { ok: boolean } = await queue.apply<{ ok: boolean }>('send_email', {}, { timeout: 5 });
      const many: string[] = await queue.map<string>('send_email', [{}, {}]);
      const untyped: unknown = await queue.apply('send_email');
      tester.assertEnqueued(UsersTasks, 'sendEmail', { to: 'a@b' });
      tester.assertNotEnqueued('send_email', { to: 'a@b' });
      void [length, lengths, clean, named, many, untyped];
    }
  `,
};

type Snippet = keyof typeof SNIPPETS;

interface Reported {
  /** The diagnostic's message, flattened: its first line is what an editor shows first. */
  text: string;
  firstLine: string;
  /** The source text the diagnostic underlines. */
  at: string;
  related: string[];
}

/** Type-checks every snippet in one program, as `tsc` would with the repo's tsconfig. */
function compileSnippets(): Record<Snippet, Reported[]> {
  const config = ts.getParsedCommandLineOfConfigFile(join(REPO, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  })!;
  const files = new Map<string, string>(
    Object.entries(SNIPPETS).map(([name, body]) => [
      join(REPO, `typed-task-snippet-${name}.ts`),
      `${HEADER}\n${body}\n`,
    ]),
  );
  const disk = ts.createCompilerHost(config.options);
  const host: ts.CompilerHost = {
    ...disk,
    getSourceFile: (file, language, ...rest) => {
      const text = files.get(file);
      return text === undefined
        ? disk.getSourceFile(file, language, ...rest)
        : ts.createSourceFile(file, text, language);
    },
    fileExists: (file) => files.has(file) || disk.fileExists(file),
    readFile: (file) => files.get(file) ?? disk.readFile(file),
  };
  const program = ts.createProgram([...files.keys()], config.options, host);
  const results = {} as Record<Snippet, Reported[]>;
  for (const name of Object.keys(SNIPPETS) as Snippet[]) {
    const file = join(REPO, `typed-task-snippet-${name}.ts`);
    const source = files.get(file)!;
    results[name] = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      return {
        text,
        firstLine: text.split('\n')[0],
        at: source.slice(d.start, d.start! + d.length!),
        related: (d.relatedInformation ?? []).map((r) =>
          ts.flattenDiagnosticMessageText(r.messageText, ' '),
        ),
      };
    });
  }
  return results;
}

describe('compile errors of the typed calls (class and method)', () => {
  let reported: Record<Snippet, Reported[]>;

  beforeAll(() => {
    reported = compileSnippets();
  }, 120_000);

  /** The one diagnostic of a snippet, which never opens with the name form's complaint. */
  const only = (name: Snippet): Reported => {
    expect(reported[name]).toHaveLength(1);
    const [diagnostic] = reported[name];
    expect(diagnostic.text).not.toMatch(/No overload matches this call/);
    expect(diagnostic.text).not.toMatch(/typeof UsersTasks' is not assignable/);
    return diagnostic;
  };

  it('accepts well-typed calls of both forms, with the task result as the type', () => {
    expect(reported.wellTyped).toEqual([]);
  });

  it.each(['wrongPayload', 'applyWrongPayload', 'mapWrongPayload', 'testerWrongPayload'] as const)(
    '%s: points at the payload field, and names it',
    (name) => {
      const diagnostic = only(name);
      expect(diagnostic.firstLine).toBe("Type 'number' is not assignable to type 'string'.");
      expect(diagnostic.at).toBe('to');
      if (name !== 'testerWrongPayload') {
        expect(diagnostic.related).toContain(
          "The expected type comes from property 'to' which is declared here on type " +
            "'{ to: string; subject: string; }'",
        );
      }
    },
  );

  it('names the payload and the missing field', () => {
    const diagnostic = only('missingField');
    expect(diagnostic.firstLine).toBe(
      "Argument of type '{ to: string; }' is not assignable to parameter of type " +
        "'{ to: string; subject: string; }'.",
    );
    expect(diagnostic.text).toMatch(/Property 'subject' is missing/);
    expect(diagnostic.at).toBe("{ to: 'a@b' }");
  });

  it('names a field the payload does not have', () => {
    expect(only('extraField').firstLine).toBe(
      "Object literal may only specify known properties, and 'cc' does not exist in type " +
        "'{ to: string; subject: string; }'.",
    );
  });

  it('says that an argument is missing when the payload is left out', () => {
    const diagnostic = only('missingPayload');
    expect(diagnostic.firstLine).toBe('Expected 3-4 arguments, but got 2.');
  });

  it.each([
    'unknownMethod',
    'applyUnknownMethod',
    'mapUnknownMethod',
    'testerUnknownMethod',
  ] as const)('%s: names the method and the task methods there are', (name) => {
    const diagnostic = only(name);
    expect(diagnostic.firstLine).toBe(
      `Argument of type '"sendEmial"' is not assignable to parameter of type ` +
        `'"sendEmail" | "cleanup"'.`,
    );
    expect(diagnostic.at).toBe("'sendEmial'");
  });

  it('refuses a method that is not a task, naming it', () => {
    expect(only('notATask').firstLine).toBe(
      `Argument of type '"helper"' is not assignable to parameter of type '"sendEmail" | "cleanup"'.`,
    );
  });

  it('says so when the class has no task methods at all', () => {
    expect(only('noTasks').firstLine).toBe(
      `Argument of type '"format"' is not assignable to parameter of type ` +
        `'"a task method: this class has no method taking (ctx: TaskContext, payload)"'.`,
    );
  });
});
