import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { launchChromium, openPage } from './browser.js';

describe("the inspector page's job panel in Chromium", () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'inspect-output-'));
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows the last 20 lines a job printed and links to the attempt's whole log, which needs the token", async () => {
    // 30 lines, then a failure: the plan pauses at on_error and the page stays up.
    const file = await planFile(dir, 'plan.json', {
      id: 'noisy',
      onJobFailure: 'pause',
      jobs: [
        {
          id: 'build',
          run: node(
            "for (let i = 1; i <= 30; i++) console.log('step ' + i); console.error('linker failed'); process.exit(2)",
          ),
        },
      ],
    });
    let checked: Promise<void> | undefined;
    let address: string | undefined;
    const result = await cli(
      ['run', file, '--state-dir', join(dir, 'state'), '--inspect', '--reporter', 'plain'],
      {
        onLine: (line, child) => {
          if (!line.includes('plan paused at on_error') || checked) return;
          checked = (async () => {
            const page = await openPage(browser, address!);
            await page.click('[data-job="build"]');
            const output = page.locator('#job-log[data-attempt="1"]');
            await output.waitFor();
            const lines = (await output.textContent())!.trimEnd().split('\n');
            expect(lines).toHaveLength(20);
            expect(lines[0]).toBe('step 12');
            expect(lines.at(-1)).toBe('linker failed');
            const link = page.locator('#job-log-link');
            expect(await link.textContent()).toBe('full log (attempt 1)');
            const whole = await page.evaluate(
              async (href) => (await fetch(href)).text(),
              (await link.getAttribute('href'))!,
            );
            expect(whole.trimEnd().split('\n')).toHaveLength(31);
            expect(whole).toMatch(/^step 1\nstep 2\n/);
            await page.close();
            // Without the token, the log is refused.
            const origin = new URL(address!).origin;
            expect((await fetch(`${origin}/api/logs/build`)).status).toBe(401);
          })().finally(() => child.kill('SIGINT'));
        },
        onStderr: (stderr) => {
          address ??= /inspector: (\S+)/.exec(stderr)?.[1];
        },
      },
    );
    expect(checked).toBeDefined();
    await checked;
    expect(result.code).toBe(130);
  });
});
