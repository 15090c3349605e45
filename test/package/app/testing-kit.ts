// The consumer application's module under the package's testing kit: no backend, the job runs
// in the process. Reports what it saw as one JSON object.
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { TaskQueues } from 'nestjs-task-queue';
import { overrideTaskQueueModule, TaskQueueTester } from 'nestjs-task-queue/testing';
import { AppModule } from './app.module.js';

async function main() {
  const moduleRef = await overrideTaskQueueModule(
    Test.createTestingModule({ imports: [AppModule] }),
  ).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  const queue = moduleRef.get(TaskQueues).get('default');
  const applied = await queue.apply('greet', { name: 'kit' });
  const tester = moduleRef.get(TaskQueueTester);
  await queue.enqueue('greet', { name: 'later' });
  const drained = await tester.drain();
  const enqueued = tester.enqueued().map(({ name, payload }) => ({ name, payload }));
  await moduleRef.close();
  console.log(JSON.stringify({ applied, drained: drained.map((job) => job.status), enqueued }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
