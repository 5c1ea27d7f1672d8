// Renders media/icon.png (the extension's 128×128 Marketplace/Extensions-view icon; vsce accepts no SVG there)
// from media/behalf.svg, the activity-bar glyph, with Debian's Chromium. Run it again after changing the SVG:
//
//   node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './code-server.mjs';
import { ensureTools } from './tools.mjs';

const svgFile = fileURLToPath(new URL('../media/behalf.svg', import.meta.url));
const pngFile = fileURLToPath(new URL('../media/icon.png', import.meta.url));
// The glyph draws with currentColor: white strokes on a rounded tile.
const glyph = readFileSync(svgFile, 'utf8').replace(/width="24" height="24"/, 'width="96" height="96"');
const html = `<!doctype html><html><body style="margin:0;background:transparent">
<div style="width:128px;height:128px;border-radius:24px;display:grid;place-items:center;color:#fff;
  background:linear-gradient(135deg,#2f6fd6,#18408f)">${glyph}</div></body></html>`;

await ensureTools({ quiet: true });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(html);
  await page.screenshot({ path: pngFile, omitBackground: true });
  console.log(`make-icon: wrote ${pngFile}`);
} finally {
  await browser.close();
}
