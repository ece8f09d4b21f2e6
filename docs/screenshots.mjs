// Screenshots of the Label Studio labeling UI for the README (docs/images/studio-*.png).
//
// How to rerun (from a scratch folder outside the repo, e.g. /tmp/shots):
//   apt-get install -y chromium pngquant        # Debian's Chromium; no browser download
//   npm install playwright-core
//   stance studio start --data-dir /tmp/shots/studio --port 18790
//   stance segment /path/to/repo/seeds -o /tmp/shots/statements.jsonl
//   stance dataset /path/to/repo/labels/seeds.gold.v1.json -o /tmp/shots/ds
//   stance train /tmp/shots/ds -o /tmp/shots/model --model tfidf
//   export STANCE_STUDIO_DIR=/tmp/shots/studio
//   stance push /tmp/shots/statements.jsonl --project "Seeds: pair mode" --mode pair --model /tmp/shots/model
//   stance push /tmp/shots/statements.jsonl --project "Seeds: discovery mode" --mode discovery
//   NODE_PATH=/tmp/shots/node_modules node /path/to/repo/docs/screenshots.mjs
//   pngquant --force --ext .png --quality 70-95 /path/to/repo/docs/images/studio-*.png
//   stance studio stop --data-dir /tmp/shots/studio
//
// Settings (environment): STANCE_STUDIO_DIR (folder with credentials.json, default
// /tmp/shots/studio), STUDIO_URL (default http://127.0.0.1:18790), SHOTS_OUT (output folder,
// default docs/images next to this script), CHROMIUM (default /usr/bin/chromium).
// The email, password and API token are read from credentials.json and never printed.

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.cwd(), "noop.js"));
const { chromium } = require("playwright-core");

const here = dirname(fileURLToPath(import.meta.url));
const studioDir = process.env.STANCE_STUDIO_DIR || "/tmp/shots/studio";
const baseUrl = (process.env.STUDIO_URL || "http://127.0.0.1:18790").replace(/\/$/, "");
const outDir = process.env.SHOTS_OUT || join(here, "images");
const creds = JSON.parse(readFileSync(join(studioDir, "credentials.json"), "utf8"));

// Statement shown in both screenshots: Lavrov taking a clear position on the Kuril islands
// (gold label: Claim, Favor toward kuril_sovereignty).
const STATEMENT = "sovereignty over the islands is not subject to discussion";
const PAIR_TARGET = "kuril_sovereignty";

async function api(path) {
  const response = await fetch(baseUrl + path, {
    headers: { Authorization: `Token ${creds.token}` },
  });
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response.json();
}

async function projectId(title) {
  const page = await api("/api/projects?page_size=1000");
  const found = (page.results || page).find((p) => p.title === title);
  if (!found) throw new Error(`no project titled ${JSON.stringify(title)}; push it first`);
  return found.id;
}

async function findTask(project, predicate) {
  const tasks = await api(`/api/projects/${project}/tasks?page_size=5000`);
  const task = (tasks.tasks || tasks).find(predicate);
  if (!task) throw new Error(`project ${project}: no task contains ${JSON.stringify(STATEMENT)}`);
  return task.id;
}

async function openTask(page, project, task) {
  await page.goto(`${baseUrl}/projects/${project}/data?task=${task}`);
  // The labeling interface has rendered once the statement shows in a Text tag
  // (the task list on the left also holds the text, so look inside the editor only).
  await page.locator(".lsf-richtext__line", { hasText: STATEMENT }).first()
    .waitFor({ timeout: 60000 });
  await page.waitForTimeout(1500);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
});
try {
  mkdirSync(outDir, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();

  await page.goto(`${baseUrl}/user/login/`);
  await page.fill('input[name="email"]', creds.email);
  await page.fill('input[name="password"]', creds.password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/user/login")),
                     page.click('button[type="submit"], input[type="submit"]')]);

  const pair = await projectId("Seeds: pair mode");
  const discovery = await projectId("Seeds: discovery mode");

  // Pair mode: one (statement, target) task, with the model's pre-annotation.
  const pairTask = await findTask(pair, (t) =>
    t.data.text.includes(STATEMENT) && t.data.target === PAIR_TARGET);
  await openTask(page, pair, pairTask);
  await page.screenshot({ path: join(outDir, "studio-pair.png") });
  console.log(`studio-pair.png: project ${pair}, task ${pairTask}`);

  // Pair-mode task list (data manager).
  await page.goto(`${baseUrl}/projects/${pair}/data`);
  await page.locator(".dm-table__row, [class*='table'] [class*='row']").first()
    .waitFor({ timeout: 60000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(outDir, "studio-tasks.png") });
  console.log(`studio-tasks.png: project ${pair}`);

  // Discovery mode: tick one target so its stance choice appears, mark the statement as a Claim.
  const discoveryTask = await findTask(discovery, (t) => t.data.text.includes(STATEMENT));
  await openTask(page, discovery, discoveryTask);
  await page.locator(`input[type="checkbox"][name="${PAIR_TARGET}"]`).check();
  const stanceView = page.getByText("Stance toward: Russian sovereignty").first();
  await stanceView.waitFor({ timeout: 30000 });
  await page.locator("label:visible", { hasText: /^Favor/ }).first().click();
  // Select the whole statement with the mouse and label it as a Claim.
  await page.getByText("Claim", { exact: true }).first().click();
  const ends = await page.evaluate((needle) => {
    const line = [...document.querySelectorAll(".lsf-richtext__line")]
      .find((element) => element.textContent.includes(needle));
    if (!line) return null;
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.includes(needle)) continue;
      const range = document.createRange();
      range.setStart(node, 0);
      range.setEnd(node, node.data.trimEnd().length);
      const rects = [...range.getClientRects()];
      const first = rects[0], last = rects[rects.length - 1];
      return { x0: first.left + 1, y0: first.top + first.height / 2,
               x1: last.right - 1, y1: last.top + last.height / 2 };
    }
    return null;
  }, STATEMENT);
  if (!ends) throw new Error("statement text not found in the labeling interface");
  await page.mouse.move(ends.x0, ends.y0);
  await page.mouse.down();
  await page.mouse.move(ends.x1, ends.y1, { steps: 12 });
  await page.mouse.up();
  await page.waitForTimeout(1000);
  await page.screenshot({ path: join(outDir, "studio-discovery.png") });
  console.log(`studio-discovery.png: project ${discovery}, task ${discoveryTask}`);
} finally {
  await browser.close();
}
