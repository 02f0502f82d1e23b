// Headless Debian Chromium (playwright-core drives it; nothing is downloaded) for Web UI tests.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { stateDir } from '../../devenv/paths.ts';

export const chromiumPath = process.env.OPSFLOW_CHROMIUM ?? '/usr/bin/chromium';
export const screenshotDir = join(stateDir, 'screenshots');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh browser profile (its own --user-data-dir), removed by close(). */
export async function openBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium is not installed at ${chromiumPath}: apt-get install -y chromium (or set OPSFLOW_CHROMIUM)`);
  mkdirSync(screenshotDir, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'opsflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: FLAGS, viewport: { width: 1600, height: 1000 } });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
