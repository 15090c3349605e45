// Loads the main entry alone: it must load neither express nor Bull Board.
import { TaskQueueModule } from 'nestjs-task-queue';
import { dashboardPackagesLoaded } from './loaded.js';

console.log(
  JSON.stringify({ module: typeof TaskQueueModule, dashboardPackages: dashboardPackagesLoaded() }),
);
