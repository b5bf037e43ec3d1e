import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

// Debian's chromium driven by playwright-core: no browser download, a fresh profile per
// run, and the flags that keep a headless browser from calling home.

export const CHROMIUM = '/usr/bin/chromium';
/**
 * How long any wait for a page state may take before the test fails: a limit for a hang, not
 * a timing assertion, so generous enough for a machine whose cores are all busy.
 */
export const PAGE_DEADLINE_MS = 60_000;
export const OUTPUT_DIR = fileURLToPath(new URL('./output/', import.meta.url));

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The reason to skip a browser test, or undefined to run it. In CI a missing chromium fails. */
export function skipUnlessChromium(): string | undefined {
  if (existsSync(CHROMIUM) || process.env.CI === 'true') return undefined;
  return `${CHROMIUM} is not installed (apt-get install -y chromium); CI installs it and runs this test`;
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (a CSP violation shows up here). */
  errors: string[];
  /** Saves tests/console/output/<name>; the whole page unless fullPage is false. */
  screenshot(name: string, fullPage?: boolean): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1440, height: 900 }): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found; apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'fleetpulse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  context.setDefaultTimeout(PAGE_DEADLINE_MS);
  page.setDefaultTimeout(PAGE_DEADLINE_MS);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // The tasks API may legitimately answer 404 or 400; everything else is a defect.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of (400|401|403|404)/.test(msg.text())) {
      errors.push(`console: ${msg.text()}`);
    }
  });
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return {
    context,
    page,
    errors,
    async screenshot(name, fullPage = true) {
      const path = join(OUTPUT_DIR, name);
      // From the top, so the sticky header sits where it belongs in a full-page capture.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path, fullPage });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
