// vitest global setup of the e2e project: one real pipeline (collector, Jaeger, Prometheus,
// Alertmanager) on free loopback ports for all end-to-end tests, stopped after them.
import type { TestProject } from 'vitest/node';
import { type RunningStack, startStack } from '../src/index.js';

export interface ProvidedStack {
  urls: RunningStack['urls'];
  ports: RunningStack['ports'];
  runDir: string;
  servicesFile: string;
  alertsFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}

let stack: RunningStack | undefined;

export async function setup(project: TestProject) {
  stack = await startStack();
  project.provide('stack', {
    urls: stack.urls,
    ports: stack.ports,
    runDir: stack.runDir,
    servicesFile: `${stack.runDir}/services.json`,
    alertsFile: stack.alertsFile,
  });
  console.log(
    `[e2e] pipeline up: Jaeger ${stack.urls.jaegerQuery}, Prometheus ${stack.urls.prometheus} (logs ${stack.runDir})`,
  );
}

export async function teardown() {
  await stack?.stop();
}
