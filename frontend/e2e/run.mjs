#!/usr/bin/env node
// The end-to-end run (`npm run e2e`, after `npm run build`; see e2e/README.md):
//   1. a scratch data dir, and the backend on a free port with the embedded PostgreSQL
//      and the demo data (`uv run socia dev --no-reload`), waited for on /api/v1/utils/health;
//   2. the built dashboard (`vite preview`, proxying /api to that backend);
//   3. Debian's /usr/bin/chromium through playwright-core (no browser downloads);
//   4. every e2e/scenarios/*.mjs in name order (or those whose name contains an argument:
//      `npm run e2e -- sign-in`), each in a fresh browser context, screenshots saved to
//      e2e/screenshots/;
//   5. everything stopped (browser, preview, backend, its PostgreSQL) even on failure.
// E2E_BACKEND=http://127.0.0.1:8000 uses a backend already running instead (faster while
// writing a scenario; it must have the demo data).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { chromium } from "playwright-core";

import { backendApi } from "./lib.mjs";

const E2E = dirname(fileURLToPath(import.meta.url));
const FRONTEND = resolve(E2E, "..");
const BACKEND = resolve(FRONTEND, "../backend");
const SCREENSHOTS = join(E2E, "screenshots");
const LOGS = join(E2E, ".work");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const BACKEND_START_TIMEOUT_MS = 300_000; // first start: initdb, migrations, demo data
const SCENARIO_TIMEOUT_MS = Number(process.env.E2E_SCENARIO_TIMEOUT_MS || 180_000);

const children = [];
let browser = null;
let scratch = null;
let cleaning = null;

const log = (...args) => console.log("[e2e]", ...args);

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function start(name, command, args, { cwd, env }) {
  mkdirSync(LOGS, { recursive: true });
  const logFile = join(LOGS, `${name}.log`);
  const out = openSync(logFile, "w");
  // detached: its own process group, so stopping it stops what it started too.
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", out, out] });
  child.logFile = logFile;
  child.label = name;
  child.exited = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));
  child.on("error", (error) => log(`${name} failed to start: ${error.message}`));
  children.push(child);
  return child;
}

function tail(file, lines = 60) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function waitFor(url, { child, timeoutMs, what }) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child?.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${what} exited before it was ready:\n${tail(child.logFile)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready at ${url} after ${timeoutMs / 1000}s:\n${tail(child?.logFile ?? "")}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // SIGINT first: `socia dev` stops its worker and its embedded PostgreSQL on it.
  for (const [signal, waitMs] of [["SIGINT", 20_000], ["SIGTERM", 10_000], ["SIGKILL", 5_000]]) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      return; // the group is gone
    }
    const done = await Promise.race([child.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), waitMs))]);
    if (done) return;
    log(`${child.label} still running after ${signal}`);
  }
}

async function stopPostgres(dataDir) {
  // The embedded server runs in a session of its own; stop it by its pid file if the
  // backend could not (a crash, a SIGKILL).
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!pid || !alive(pid)) return;
  for (const [signal, waitMs] of [["SIGINT", 15_000], ["SIGKILL", 5_000]]) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + waitMs;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (!alive(pid)) return;
  }
}

function cleanup() {
  cleaning ??= (async () => {
    if (browser) await browser.close().catch(() => {});
    for (const child of [...children].reverse()) await stop(child);
    if (scratch) {
      await stopPostgres(join(scratch, "pg"));
      rmSync(scratch, { recursive: true, force: true });
    }
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    log(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  });
}

function scenarioFiles(filters) {
  const dir = join(E2E, "scenarios");
  const files = readdirSync(dir).filter((f) => f.endsWith(".mjs")).sort();
  const chosen = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
  if (chosen.length === 0) throw new Error(`no scenario matches ${filters.join(", ")}`);
  return chosen.map((f) => ({ name: f.replace(/\.mjs$/, ""), file: join(dir, f) }));
}

async function startBackend(dashboardUrl) {
  if (process.env.E2E_BACKEND) return process.env.E2E_BACKEND.replace(/\/$/, "");
  scratch = mkdtempSync(join(tmpdir(), "socia-e2e-"));
  const port = await freePort();
  const env = { ...process.env };
  delete env.DATABASE_URL; // always the scratch embedded database, never a real one
  delete env.REDIS_URL;
  Object.assign(env, {
    PATH: `${process.env.HOME}/.local/bin:${process.env.PATH}`,
    ENVIRONMENT: "local",
    EMBEDDED_PG_DIR: join(scratch, "pg"),
    RATE_LIMIT_ENABLED: "false", // every scenario signs in from 127.0.0.1
    EMAIL_BACKEND: "console",
    SMS_PROVIDER: "console",
    PAYMENT_PROVIDER: "test",
    FRONTEND_HOST: dashboardUrl, // emailed links open the dashboard under test
  });
  const child = start("backend", "uv", ["run", "socia", "dev", "--port", String(port), "--no-reload"], {
    cwd: BACKEND,
    env,
  });
  const url = `http://127.0.0.1:${port}`;
  log(`backend: ${url} (data in ${scratch}, log ${child.logFile})`);
  await waitFor(`${url}/api/v1/utils/health`, { child, timeoutMs: BACKEND_START_TIMEOUT_MS, what: "the backend" });
  return url;
}

async function startPreview(backendUrl, port) {
  if (!existsSync(join(FRONTEND, "dist", "index.html"))) {
    throw new Error("frontend/dist is missing: run `npm run build` first");
  }
  const vite = join(FRONTEND, "node_modules", "vite", "bin", "vite.js");
  const child = start(
    "preview",
    process.execPath,
    [vite, "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
    { cwd: FRONTEND, env: { ...process.env, VITE_BACKEND: backendUrl } },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/`, { child, timeoutMs: 60_000, what: "vite preview" });
  await waitFor(`${url}/api/v1/utils/health`, { child, timeoutMs: 30_000, what: "the preview's /api proxy" });
  log(`dashboard: ${url}`);
  return url;
}

async function runScenario(scenario, shared) {
  const { baseUrl, backendUrl } = shared;
  const contexts = [];
  const problems = [];
  let shot = 0;
  const newContext = async (options = {}) => {
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 800 }, ...options });
    context.setDefaultTimeout(15_000);
    context.on("page", (page) => watch(page));
    contexts.push(context);
    return context;
  };
  const watch = (page) => {
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
  };
  const context = await newContext();
  const page = await context.newPage();
  const ctx = {
    page,
    context,
    browser,
    baseUrl,
    backendUrl,
    api: backendApi(backendUrl),
    /** A page in a new context (own cookies), e.g. a phone: `newPage({ viewport: { width: 390, height: 844 } })`. */
    async newPage(options) {
      return (await newContext(options)).newPage();
    },
    /** Save e2e/screenshots/<scenario>-<nn>-<name>.png (of `target`, default the main page). */
    async screenshot(name, target = page) {
      shot += 1;
      const path = join(SCREENSHOTS, `${scenario.name}-${String(shot).padStart(2, "0")}-${name}.png`);
      await target.screenshot({ path, fullPage: true });
      return path;
    },
    /** Log a step (shows where a failure happened). */
    step(text) {
      log(`  ${scenario.name}: ${text}`);
    },
    /** Console errors the pages logged so far (4xx the screen expects show up here too). */
    problems,
    /** What the backend wrote so far (emails and SMS codes go there: console providers). */
    backendLog() {
      return process.env.E2E_BACKEND ? "" : readFileSync(join(LOGS, "backend.log"), "utf8");
    },
  };
  const started = Date.now();
  try {
    const module = await import(pathToFileURL(scenario.file).href);
    const run = module.default;
    if (typeof run !== "function") throw new Error(`${scenario.file} has no default export function`);
    let timer;
    await Promise.race([
      run(ctx),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${SCENARIO_TIMEOUT_MS / 1000}s`)), SCENARIO_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const pageErrors = problems.filter((p) => p.startsWith("page error"));
    if (pageErrors.length) throw new Error(`uncaught errors in the page:\n${pageErrors.join("\n")}`);
    return { name: scenario.name, title: module.title ?? scenario.name, ok: true, ms: Date.now() - started };
  } catch (error) {
    for (const [i, context] of contexts.entries()) {
      for (const [j, p] of context.pages().entries()) {
        const path = join(SCREENSHOTS, `${scenario.name}-FAILED-${i}-${j}.png`);
        await p.screenshot({ path, fullPage: true }).catch(() => {});
        log(`  failure screenshot: ${path} (${p.url()})`);
      }
    }
    if (problems.length) log(`  browser console:\n    ${problems.join("\n    ")}`);
    return { name: scenario.name, ok: false, ms: Date.now() - started, error };
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
  }
}

async function main() {
  const scenarios = scenarioFiles(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const previewPort = await freePort();
  const backendUrl = await startBackend(`http://127.0.0.1:${previewPort}`);
  const baseUrl = await startPreview(backendUrl, previewPort);
  // launch() gives Chromium a fresh, empty --user-data-dir of its own every run.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  const results = [];
  for (const scenario of scenarios) {
    log(`scenario ${scenario.name}`);
    const result = await runScenario(scenario, { baseUrl, backendUrl });
    log(result.ok ? `  PASS ${scenario.name} (${result.ms} ms)` : `  FAIL ${scenario.name}: ${result.error?.stack ?? result.error}`);
    results.push(result);
  }
  const failed = results.filter((r) => !r.ok);
  log(`${results.length - failed.length} passed, ${failed.length} failed; screenshots in ${SCREENSHOTS}`);
  for (const r of results) log(`  ${r.ok ? "PASS" : "FAIL"}  ${r.name}`);
  if (failed.length) log(`backend log: ${join(LOGS, "backend.log")}`);
  return failed.length === 0;
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  log(`error: ${error?.stack ?? error}`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);
