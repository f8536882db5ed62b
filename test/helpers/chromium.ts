/**
 * Debian's headless Chromium driven through playwright-core (the driver only: no browser download,
 * `executablePath` is Debian's binary). Flags: no sandbox (tests run as root), no GPU, and nothing
 * that reaches out to Google's services — the build machine has no network, and without these
 * Chromium keeps retrying refused connections. Playwright gives each launch a new empty profile
 * directory (its own `--user-data-dir`) and removes it on close.
 */
import { type Browser, chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import type { Test } from 'tap';
import { requireProgram } from '../unit/deploy/fixtures/tools';

/** The page's DOM as far as these helpers read it (the project compiles without lib.dom). */
interface PageElement {
  textContent: string | null;
  complete?: boolean;
  naturalWidth?: number;
  naturalHeight?: number;
  currentSrc?: string;
}
declare const document: { getElementById(id: string): PageElement | null };

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium closed after the test; null (with a failed assertion naming the package) when absent. */
export async function launchChromium(t: Test): Promise<Browser | null> {
  const executablePath = requireProgram(t, 'chromium');
  if (!executablePath) return null;
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  t.teardown(() => browser.close());
  return browser;
}

/**
 * Waits until the text of element `id` matches `re` (the page polls once a second); the bound only
 * stops a hang, and the failure names what the page showed instead.
 */
export async function waitForText(page: Page, id: string, re: RegExp, boundMs = 20_000): Promise<string> {
  try {
    await page.waitForFunction(
      ([elementId, source, flags]) => new RegExp(source!, flags).test(document.getElementById(elementId!)?.textContent ?? ''),
      [id, re.source, re.flags],
      { timeout: boundMs, polling: 100 },
    );
  } catch {
    const shown = await page.evaluate((elementId) => document.getElementById(elementId)?.textContent ?? '(no such element)', id);
    throw new Error(`#${id} never matched ${re} within ${boundMs} ms; it shows: ${JSON.stringify(shown)}`);
  }
  return page.evaluate((elementId) => document.getElementById(elementId)!.textContent!, id);
}

/**
 * Waits until the `<img id>` has loaded a picture; with `requestedAfter` (the page's `Date.now()`),
 * one whose URL carries a later `?t=` (the status page stamps each reload). Returns its natural size.
 */
export async function waitForImage(page: Page, id: string, requestedAfter = 0, boundMs = 20_000): Promise<{ width: number; height: number; src: string }> {
  const size = () =>
    page.evaluate((elementId) => {
      const img = document.getElementById(elementId);
      return { width: img?.naturalWidth ?? 0, height: img?.naturalHeight ?? 0, src: img?.currentSrc ?? '(no such image)' };
    }, id);
  try {
    await page.waitForFunction(
      ([elementId, after]) => {
        const img = document.getElementById(elementId as string);
        if (!img || img.complete !== true || (img.naturalWidth ?? 0) === 0) return false;
        const stamp = /[?&]t=(\d+)/.exec(img.currentSrc ?? '');
        return (after as number) === 0 || (stamp !== null && Number(stamp[1]) > (after as number));
      },
      [id, requestedAfter] as const,
      { timeout: boundMs, polling: 100 },
    );
  } catch {
    const s = await size();
    throw new Error(`#${id} did not load a picture${requestedAfter ? ` requested after ${requestedAfter}` : ''} within ${boundMs} ms (src ${s.src}, naturalWidth ${s.width})`);
  }
  return size();
}
