import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createWebSocketInspector } from '@statelyai/inspect';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { createOrchestrator } from '../../src/index.js';
import { startInspector } from '../../src/inspector/index.js';
import { launchChromium, openPage } from './browser.js';

/** A job that runs until the test lets it finish. */
function gated() {
  let finish: (output: string) => void = () => {};
  const done = new Promise<string>((resolve) => {
    finish = resolve;
  });
  return { run: () => done, finish };
}

const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results');

describe('the inspector page in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the plan live, approves its start from a button and follows it to the end', async () => {
    const build = gated();
    const unit = gated();
    const lint = gated();
    const orchestrator = createOrchestrator({
      id: 'release',
      mode: 'copilot',
      jobs: [
        { id: 'build', run: build.run },
        { id: 'unit-tests', dependsOn: ['build'], run: unit.run },
        { id: 'lint', dependsOn: ['build'], run: lint.run },
        { id: 'publish', dependsOn: ['unit-tests', 'lint'], run: async () => 'v1.2.3' },
      ],
    });
    const inspector = await startInspector(orchestrator);
    orchestrator.start();
    const page = await openPage(browser, inspector.url);

    const job = (id: string, status: string) =>
      page.locator(`[data-job="${id}"][data-status="${status}"]`);
    await expect
      .poll(() => page.locator('#plan-status').getAttribute('data-status'))
      .toBe('awaitingApproval');
    await job('build', 'queued').waitFor();

    await page.click('#approve');
    await job('build', 'running').waitFor();
    expect(orchestrator.getView().status).toBe('running');

    build.finish('app.tar');
    await job('build', 'succeeded').waitFor();
    await job('unit-tests', 'running').waitFor();
    await job('lint', 'running').waitFor();

    // The selected job's statechart marks the state its machine is in.
    await page.click('[data-job="unit-tests"]');
    await page.locator('#job-chart [data-state="running"].active').waitFor();
    await expect.poll(() => page.locator('#log li').count()).toBeGreaterThan(5);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'inspector.png'), fullPage: true });

    unit.finish('42 passed');
    lint.finish('clean');
    await job('publish', 'succeeded').waitFor();
    await page.locator('#plan-status[data-status="completed"]').waitFor();
    await page.locator('body[data-connection="closed"]').waitFor();
    expect(await page.locator('#connection').textContent()).toContain('the plan ended');
    await inspector.closed;
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    await page.close();
  });

  it('shows a job held at pre_run, with its outputs, and lets it start from the Approve button', async () => {
    let deployed = false;
    const orchestrator = createOrchestrator({
      id: 'gated',
      jobs: [
        { id: 'build', run: async () => ({ outputs: { version: '1.4.2' } }) },
        {
          id: 'deploy',
          dependsOn: ['build'],
          requiresApproval: true,
          run: async () => {
            deployed = true;
          },
        },
      ],
    });
    const inspector = await startInspector(orchestrator);
    orchestrator.start();
    const page = await openPage(browser, inspector.url);

    await page.locator('#checkpoint', { hasText: 'pre_run for job "deploy"' }).waitFor();
    expect(deployed).toBe(false);
    await page.click('[data-job="build"]');
    await page.locator('#job-facts', { hasText: '{"outputs":{"version":"1.4.2"}}' }).waitFor();
    await page.click('#approve');
    await page.locator('#plan-status[data-status="completed"]').waitFor();
    expect(deployed).toBe(true);
    await inspector.closed;
    await page.close();
  });

  it('retries a failed job, skips a running one and cancels the plan from its buttons', async () => {
    let attempts = 0;
    const orchestrator = createOrchestrator({
      id: 'steered',
      onJobFailure: 'pause',
      jobs: [
        {
          id: 'flaky',
          run: async () => {
            attempts++;
            if (attempts === 1) throw new Error('database not ready');
            return 'ok';
          },
        },
        {
          id: 'stuck',
          run: ({ signal }) =>
            new Promise((_, reject) =>
              signal.addEventListener('abort', () => reject(signal.reason)),
            ),
        },
        { id: 'forever', dependsOn: ['flaky'], run: () => new Promise(() => {}) },
      ],
    });
    const inspector = await startInspector(orchestrator);
    orchestrator.start();
    const page = await openPage(browser, inspector.url);

    await page.locator('[data-job="flaky"][data-status="failed"]').waitFor();
    await page.locator('#checkpoint', { hasText: 'on_error' }).waitFor();
    await page.click('[data-job="flaky"]');
    await page.click('#retry');
    await page.locator('[data-job="flaky"][data-status="succeeded"]').waitFor();
    expect(attempts).toBe(2);

    await page.click('[data-job="stuck"]');
    await page.click('#skip');
    await page.locator('[data-job="stuck"][data-status="skipped"]').waitFor();
    await page.locator('#notice', { hasText: 'SKIP_JOB accepted' }).waitFor();

    await page.click('#cancel');
    await page.locator('#plan-status[data-status="canceled"]').waitFor();
    expect((await orchestrator.whenSettled()).status).toBe('canceled');
    await inspector.closed;
    await page.close();
  });

  it('lists the actors of another XState app that sends its @statelyai/inspect traffic', async () => {
    const hold = gated();
    const orchestrator = createOrchestrator({ id: 'host', jobs: [{ id: 'wait', run: hold.run }] });
    const inspector = await startInspector(orchestrator);
    orchestrator.start();
    const page = await openPage(browser, inspector.url);
    await page.locator('[data-job="wait"][data-status="running"]').waitFor();

    const traffic = createWebSocketInspector({
      url: `ws://127.0.0.1:${inspector.port}/inspect?token=${inspector.token}`,
    });
    const toggle = createMachine({
      id: 'toggle',
      initial: 'off',
      states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off' } } },
    });
    const actor = createActor(toggle, { inspect: traffic.inspect }).start();
    actor.send({ type: 'FLIP' });

    const row = page.locator('#external tr', { hasText: 'toggle' });
    await row.filter({ hasText: 'FLIP' }).filter({ hasText: 'on' }).waitFor();
    expect(await row.locator('td').nth(2).textContent()).toBe('on');

    traffic.stop();
    hold.finish('done');
    await inspector.closed;
    await page.close();
  });
});
