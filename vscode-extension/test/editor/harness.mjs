/**
 * What the editor tests share: the scratch directory and its processes, the packaged extension, a
 * code-server with fresh user data, headless Chromium on its workbench, and the few ways a user drives
 * the workbench (command palette, quick pick, breakpoints, screenshots). Each test keeps its own target,
 * launch configurations and steps.
 *
 * Importing it creates the scratch directory. `runTest(main)` runs a test's steps, then ends every process
 * the test started and fails if any is left.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const EXTENSION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO = path.dirname(EXTENSION_DIR);
export const TARGET_PYTHON = process.env.DAPATTACH_TARGET_PYTHON ?? '/opt/py314/bin/python3.14';
export const SCRATCH = fs.mkdtempSync(process.env.DAPATTACH_EDITOR_OUT ?? '/tmp/dapattach-editor-');
export const WORKSPACE = path.join(SCRATCH, 'workspace');
export const STEP_TIMEOUT = 30_000;
const TOOLS = process.env.DAPATTACH_EDITOR_TOOLS ?? '/tmp/code-server';
const CHROMIUM = process.env.DAPATTACH_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(SCRATCH, 'screenshots');
const BUILD = !process.argv.includes('--no-build');
const VSIX = path.join(
  EXTENSION_DIR,
  `dapattach-${JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')).version}.vsix`,
);
const CODE_SERVER = path.join(TOOLS, 'node_modules/.bin/code-server');

const cleanups = [];
const started = Date.now();
let shotCount = 0;

export function log(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
}

/** Runs `step` when the test ends, before the processes started earlier are ended (last in, first out). */
export function atCleanup(step) {
  cleanups.push(step);
}

export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** A child process whose output is kept and whose lines can be awaited; killed with its process group. */
export function startProcess(name, command, args, options = {}) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { name, child, output: [], waiters: new Set(), exited: false };
  const onLine = (line) => {
    proc.output.push(line);
    for (const waiter of proc.waiters) {
      waiter(line);
    }
  };
  readline.createInterface({ input: child.stdout }).on('line', onLine);
  readline.createInterface({ input: child.stderr }).on('line', onLine);
  child.once('exit', () => {
    proc.exited = true;
    for (const waiter of proc.waiters) {
      waiter(undefined);
    }
  });
  child.once('error', (error) => onLine(`cannot start ${command}: ${error.message}`));
  atCleanup(() => killGroup(proc));
  return proc;
}

/** Resolves with the match of the first line from now on that matches pattern. */
export function nextLine(proc, pattern, timeoutMs = STEP_TIMEOUT) {
  return new Promise((resolve, reject) => {
    const finish = (result, error) => {
      clearTimeout(timer);
      proc.waiters.delete(waiter);
      error ? reject(error) : resolve(result);
    };
    const waiter = (line) => {
      if (line === undefined) {
        finish(undefined, new Error(`${proc.name} exited while waiting for ${pattern}:\n${tail(proc)}`));
      } else {
        const match = pattern.exec(line);
        if (match) finish(match);
      }
    };
    const timer = setTimeout(
      () =>
        finish(
          undefined,
          new Error(`${proc.name} printed no line matching ${pattern} in ${timeoutMs} ms:\n${tail(proc)}`),
        ),
      timeoutMs,
    );
    if (proc.exited) {
      waiter(undefined);
    } else {
      proc.waiters.add(waiter);
    }
  });
}

export function tail(proc, count = 30) {
  return proc.output.slice(-count).join('\n');
}

async function killGroup(proc) {
  if (proc.exited || proc.child.pid === undefined) return;
  const exit = once(proc.child, 'exit');
  try {
    process.kill(-proc.child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.child.pid, 'SIGKILL');
    } catch {}
  }, 5_000);
  await exit;
  clearTimeout(timer);
}

/**
 * Processes with the scratch directory in their environment or command line: code-server, its extension
 * host, the adapter it started, Chromium, the target. None should outlive the test.
 */
function leftoverProcesses() {
  const left = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (environ.includes(SCRATCH) || cmdline.includes(SCRATCH)) left.push(`${entry} ${cmdline}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return left;
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Installs the tools if they are missing, checks the files a test needs (`required`: [file, what it should
 * be] pairs, besides the target's Python and Chromium), builds the .vsix and creates the workspace.
 * Returns playwright's `chromium`.
 */
export async function setUp(required = []) {
  fs.mkdirSync(SHOTS, { recursive: true });
  log(`scratch directory ${SCRATCH}`);
  if (!fs.existsSync(CODE_SERVER)) {
    log(`installing code-server and playwright-core into ${TOOLS}`);
    await run('bash', [path.join(EXTENSION_DIR, 'test/editor/install-tools.sh'), TOOLS], {
      env: process.env,
    });
  }
  for (const [file, what] of [
    ...required,
    [TARGET_PYTHON, 'the Python 3.14 that runs the target (DAPATTACH_TARGET_PYTHON)'],
    [CHROMIUM, 'Chromium (DAPATTACH_CHROMIUM; Debian: apt-get install chromium)'],
  ]) {
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist: it should be ${what}.`);
  }
  const { chromium } = createRequire(path.join(TOOLS, 'package.json'))('playwright-core');
  await buildVsix();
  fs.mkdirSync(WORKSPACE, { recursive: true });
  return chromium;
}

async function buildVsix() {
  if (!BUILD && fs.existsSync(VSIX)) {
    log(`using the existing ${path.basename(VSIX)}`);
    return;
  }
  if (!fs.existsSync(path.join(EXTENSION_DIR, 'node_modules/.bin/vsce'))) {
    log('npm ci');
    await run('npm', ['ci'], { cwd: EXTENSION_DIR });
  }
  log('npm run package');
  await run('npm', ['run', 'package'], { cwd: EXTENSION_DIR });
}

/**
 * The workspace's settings and launch configurations, the user settings that keep first-run noise out of
 * the screenshots, and the extension. `env` is laid over this process's environment for code-server.
 */
export async function prepareEditor({ settings, configurations, env = {} }) {
  const userData = path.join(SCRATCH, 'user-data');
  const extensions = path.join(SCRATCH, 'extensions');
  writeJson(path.join(WORKSPACE, '.vscode/settings.json'), settings);
  writeJson(path.join(WORKSPACE, '.vscode/launch.json'), { version: '0.2.0', configurations });
  writeJson(path.join(userData, 'User/settings.json'), {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'editor.minimap.enabled': false,
    'window.commandCenter': false,
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Light Modern',
  });
  const editorEnv = editorEnvironment(env);
  log('code-server --install-extension');
  const installed = await run(
    CODE_SERVER,
    ['--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', VSIX],
    { env: editorEnv },
  );
  if (!/successfully installed/i.test(installed)) {
    throw new Error(`code-server did not install ${VSIX}:\n${installed}`);
  }
  return { userData, extensions, env: editorEnv };
}

/** code-server writes a config file and logs under XDG dirs; keep them in the scratch directory. */
function editorEnvironment(env) {
  return {
    ...process.env,
    ...env,
    XDG_CONFIG_HOME: path.join(SCRATCH, 'xdg-config'),
    XDG_DATA_HOME: path.join(SCRATCH, 'xdg-data'),
    XDG_CACHE_HOME: path.join(SCRATCH, 'xdg-cache'),
  };
}

export async function startCodeServer({ userData, extensions, env }) {
  const server = startProcess(
    'code-server',
    CODE_SERVER,
    [
      '--bind-addr',
      '127.0.0.1:0',
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensions,
      '--config',
      path.join(SCRATCH, 'code-server.yaml'),
      WORKSPACE,
    ],
    { env },
  );
  const [, url] = await nextLine(server, /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/?)/, 60_000);
  log(`code-server at ${url}`);
  return { server, url };
}

/**
 * Opens the workbench at `url` in headless Chromium and, once the Explorer lists `file`, runs
 * `steps(page)`. When a step fails it saves `failure.png` and prints the end of each process's output
 * (`logs`: [process, how many lines] pairs) before passing the error on.
 */
export async function inWorkbench(chromium, { url, height, file, logs }, steps) {
  const context = await chromium.launchPersistentContext(path.join(SCRATCH, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  atCleanup(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT);
  try {
    await page.goto(`${url}?folder=${encodeURIComponent(WORKSPACE)}`);
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: file }).waitFor();
    await steps(page);
  } catch (error) {
    await page.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => {});
    console.error(logs.map(([proc, count]) => `${proc.name} output:\n${tail(proc, count)}`).join('\n\n'));
    throw error;
  }
}

export async function shot(page, name) {
  const file = path.join(SHOTS, `${String(++shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/**
 * Runs a command from the command palette, choosing the entry whose label is exactly `label`.
 *
 * The workbench may close a palette that just opened (it moves the focus when a debug session stops or
 * reveals the stopped line), so one that is gone before it took the text is opened again, three times at
 * most.
 */
export async function runCommand(page, label) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    try {
      await input.fill(`>${label}`, { timeout: 5000 });
      break;
    } catch (error) {
      if (attempt === 3 || (await input.isVisible())) throw error;
      log(`the command palette closed before it took "${label}"; opening it again`);
    }
  }
  await chooseQuickPickRow(page, (text) => text.startsWith(label));
}

/** Moves the quick pick's focus down to the first row whose text passes `accept`, then presses Enter. */
export async function chooseQuickPickRow(page, accept, description = 'the wanted entry') {
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const deadline = Date.now() + STEP_TIMEOUT;
  let seen = [];
  while (Date.now() < deadline) {
    seen = await rows.allInnerTexts();
    const index = seen.findIndex((text) => accept(text.replace(/\s+/g, ' ').trim()));
    if (index >= 0) {
      for (let step = 0; step < 50; step++) {
        const focused = page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');
        const text =
          (await focused.count()) > 0 ? (await focused.first().innerText()).replace(/\s+/g, ' ').trim() : '';
        if (accept(text)) {
          await page.keyboard.press('Enter');
          return text;
        }
        await page.keyboard.press('ArrowDown');
      }
      throw new Error(`could not move the quick pick's focus to ${description}`);
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`the quick pick never offered ${description}; it showed:\n${seen.join('\n---\n')}`);
}

/**
 * Opens `file` (Ctrl+P), waits until its editor shows a line holding `marker`, goes to `line` (Ctrl+G)
 * and presses F9; fails unless the cursor ended up on that line.
 */
export async function setBreakpoint(page, file, line, marker) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(file);
  await chooseQuickPickRow(page, (text) => text.startsWith(file), file);
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-line', { hasText: marker }).waitFor();
  await page.keyboard.press('Control+G');
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await page.keyboard.press('F9');
  await page.locator('.editor-instance .codicon-debug-breakpoint').first().waitFor();
  const lineNumber = await page.locator('.editor-instance .active-line-number').first().innerText();
  if (Number(lineNumber) !== line) {
    throw new Error(`the cursor is on line ${lineNumber}, not on the breakpoint line ${line}`);
  }
  log(`breakpoint set on ${file}:${line}`);
}

/** Opens the Debug Console and puts the keyboard focus in its input. */
export async function focusDebugConsoleInput(page) {
  await runCommand(page, 'Debug Console: Focus on Debug Console View');
  const input = page.locator('.repl-input-wrapper .monaco-editor textarea');
  await input.waitFor();
  await input.focus();
}

/** Types `expression` into the Debug Console and waits for a result row that reads exactly `expected`. */
export async function evaluateInDebugConsole(page, expression, expected) {
  await focusDebugConsoleInput(page);
  await page.keyboard.type(expression);
  await page.keyboard.press('Enter');
  const result = page.locator('.repl .monaco-list-row', { hasText: new RegExp(`^\\s*${expected}\\s*$`) });
  await result.first().waitFor();
  log(`Debug Console: ${expression} → ${expected}`);
}

async function cleanup() {
  for (const step of cleanups.reverse()) {
    await Promise.resolve()
      .then(step)
      .catch((error) => console.error(`cleanup: ${error.message}`));
  }
}

/**
 * Runs the test's `main`, then ends what it started (also on Ctrl+C); the test fails when `main` throws or
 * when a process it started is still running afterwards.
 */
export async function runTest(main) {
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await main();
    log(`PASS — screenshots in ${SHOTS}`);
  } catch (error) {
    console.error(`FAIL: ${error.stack ?? error}`);
    console.error(`screenshots in ${SHOTS}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
    const left = leftoverProcesses();
    if (left.length > 0) {
      console.error(`FAIL: processes started by the test are still running:\n${left.join('\n')}`);
      process.exitCode = 1;
    }
  }
}
