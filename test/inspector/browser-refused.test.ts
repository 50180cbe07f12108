import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOrchestrator } from '../../src/index.js';
import { startInspector } from '../../src/inspector/index.js';
import { launchChromium, openPage } from './browser.js';

describe('the inspector page in Chromium, past the client limit', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('says the inspector refused it, and why', async () => {
    const orchestrator = createOrchestrator({
      id: 'full',
      mode: 'copilot',
      jobs: [{ id: 'a', run: async () => 'a' }],
    });
    const inspector = await startInspector(orchestrator, { maxClients: 1 });
    orchestrator.start();
    try {
      const first = new WebSocket(`ws://127.0.0.1:${inspector.port}/live?token=${inspector.token}`);
      await new Promise((resolve) => first.once('message', resolve));
      const page = await openPage(browser, inspector.url);
      await page.waitForFunction(() => document.body.dataset.connection === 'closed');
      expect(await page.locator('#connection').textContent()).toBe(
        'refused: the inspector serves at most 1 WebSocket clients at once; close one and try again',
      );
    } finally {
      orchestrator.cancel();
      await inspector.close();
    }
  });
});
