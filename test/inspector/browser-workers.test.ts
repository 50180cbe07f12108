import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAttemptQueue,
  createOrchestrator,
  createWorker,
  queuedPlan,
} from '../../src/index.js';
import { startInspector } from '../../src/inspector/index.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { launchChromium, openPage } from './browser.js';

describe('the inspector page of a plan whose jobs run on workers', () => {
  let browser: Browser;
  let server: RedisServer;
  beforeAll(async () => {
    browser = await launchChromium();
    server = await startRedisServer({ durable: false });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("the inspector's job panel names the worker", async () => {
    let finish: () => void = () => {};
    const painted = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const worker = await createWorker({
      connection: server.url,
      queue: 'paint',
      name: 'painter-1',
      handlers: { paint: () => painted.then(() => 'blue') },
    });
    const attempts = await createAttemptQueue({ connection: server.url, queue: 'paint' });
    const orchestrator = createOrchestrator(
      queuedPlan({ id: 'walls', jobs: [{ id: 'wall', handler: 'paint' }] }, attempts),
    );
    const inspector = await startInspector(orchestrator);
    orchestrator.start();
    const page = await openPage(browser, inspector.url);

    await page.click('[data-job="wall"]');
    const fact = page.locator('#job-facts dd[data-fact="worker"]');
    await page.locator('#job-facts dd[data-fact="worker"]', { hasText: 'painter-1' }).waitFor();
    finish();
    await page.locator('#plan-status[data-status="completed"]').waitFor();
    expect(await fact.textContent()).toBe('painter-1');
    await inspector.closed;
    await page.close();
    await worker.close(0);
    await attempts.close();
  });
});
