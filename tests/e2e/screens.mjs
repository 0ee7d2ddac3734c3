// Screenshots of the studio's main screens at 1280 px and 390 px wide, to look at after a
// change to its pages (not a test: nothing is asserted, and the pictures are not kept in
// the repository).
//
//   COLOPHON_STUDIO_URL=http://127.0.0.1:8080 COLOPHON_STUDIO_EMAIL=… COLOPHON_STUDIO_PASSWORD=… \
//   node screens.mjs [OUT_DIR]          # default: /tmp/colophon-screens
//
// Use `colophon serve --demo`: its banner prints the studio sign-in.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = (process.env.COLOPHON_STUDIO_URL || '').replace(/\/+$/, '');
const email = process.env.COLOPHON_STUDIO_EMAIL;
const password = process.env.COLOPHON_STUDIO_PASSWORD;
if (!base || !email || !password) {
  console.error('set COLOPHON_STUDIO_URL, COLOPHON_STUDIO_EMAIL and COLOPHON_STUDIO_PASSWORD');
  process.exit(2);
}
const out = process.argv[2] || '/tmp/colophon-screens';
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
for (const width of [1280, 390]) {
  const context = await browser.newContext({ viewport: { width, height: width > 500 ? 900 : 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const shot = async (name) => {
    await page.screenshot({ path: `${out}/${width}-${name}.png`, fullPage: false });
    console.log(`${out}/${width}-${name}.png`);
  };
  await page.goto(`${base}/admin/`);
  await page.getByRole('heading', { name: 'Sign in to the studio' }).waitFor();
  await shot('1-sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Articles' }).waitFor();
  await page.goto(`${base}/admin/#/articles?status=PUBLISHED`);
  await page.locator('table.articles').waitFor();
  await shot('2-articles');
  await page.locator('table.articles a').first().click();
  await page.locator('.preview > *').first().waitFor();
  await shot('3-editor');
  await page.locator('details.meta summary').click();
  await page.locator('details.meta').scrollIntoViewIfNeeded();
  await shot('4-editor-fields');
  await page.getByRole('button', { name: 'Revisions' }).click();
  await page.locator('dialog .diff').waitFor();
  await shot('5-revisions');
  await page.keyboard.press('Escape');
  await page.goto(`${base}/admin/#/taxonomy`);
  await page.getByRole('heading', { name: 'Tags, categories and series' }).waitFor();
  await shot('6-taxonomy');
  await page.goto(`${base}/admin/#/people`);
  await page.getByRole('heading', { name: 'Users and webhooks' }).waitFor();
  await shot('7-people');
  await context.close();
}
await browser.close();
