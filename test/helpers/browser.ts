import fs from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's Chromium (the package `chromium`, installed by scripts/setup-test-machine.sh). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium headless, driven by playwright-core: no sandbox (tests run as root), no GPU, and
 * nothing that reaches past the machine (background networking, component updates, sync). Each
 * launch has a fresh profile in a temporary directory that Playwright removes on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-test-machine.sh (apt package chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-default-apps', '--disable-features=Translate,MediaRouter,OptimizationHints'],
  });
}

/** Everything a page reports as an error: console errors (failed loads included) and uncaught exceptions. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  return errors;
}

/** Where tests leave what a person would look at (screenshots): test-artifacts/, ignored by git. */
export function artifactPath(name: string): string {
  const dir = new URL('../../test-artifacts/', import.meta.url).pathname;
  fs.mkdirSync(dir, { recursive: true });
  return `${dir}${name}`;
}
