/**
 * What asyncio tasks look like in a real VS Code (code-server), step by step, with screenshots: the packaged
 * extension attached to an asyncio line server with five connections, stopped in one connection's
 * request; the Call Stack's task entries, one task's await chain, a waiting coroutine's variables and an
 * evaluation in its context; then the same in non-stop mode. It prints what each view shows.
 *
 *   node test/editor/asyncio.mjs [--no-build]      (tools as for run.mjs: see README.md here)
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const EXTENSION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REPO = path.dirname(EXTENSION_DIR);
const ADAPTER_PYTHON = process.env.DAPATTACH_PYTHON ?? path.join(REPO, '.venv/bin/python');
const TARGET_PYTHON = process.env.DAPATTACH_TARGET_PYTHON ?? '/opt/py314/bin/python3.14';
const TOOLS = process.env.DAPATTACH_EDITOR_TOOLS ?? '/tmp/code-server';
const CHROMIUM = process.env.DAPATTACH_CHROMIUM ?? '/usr/bin/chromium';
const SCRATCH = fs.mkdtempSync(process.env.DAPATTACH_EDITOR_OUT ?? '/tmp/dapattach-editor-');
const SHOTS = path.join(SCRATCH, 'screenshots');
const BUILD = !process.argv.includes('--no-build');
const VSIX = path.join(
  EXTENSION_DIR,
  `dapattach-${readJson(path.join(EXTENSION_DIR, 'package.json')).version}.vsix`,
);
const SERVICE_SOURCE = fs.readFileSync(path.join(REPO, 'tests/targets/asyncio_service.py'), 'utf8');
const PROCESS_LINE = SERVICE_SOURCE.split('\n').findIndex((line) => line.endsWith('# @process')) + 1;
const CONNECTIONS = 5;
const STEP_TIMEOUT = 30_000;
const cleanups = [];
const started = Date.now();
let shotCount = 0;

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function log(message) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
}

function run(command, args, options = {}) {
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
function startProcess(name, command, args, options = {}) {
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
  cleanups.push(() => killGroup(proc));
  return proc;
}

/** Resolves with the match of the first line from now on that matches pattern. */
function nextLine(proc, pattern, timeoutMs = STEP_TIMEOUT) {
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

function tail(proc, count = 30) {
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

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ensureTools() {
  if (!fs.existsSync(path.join(TOOLS, 'node_modules/.bin/code-server'))) {
    log(`installing code-server and playwright-core into ${TOOLS}`);
    await run('bash', [path.join(EXTENSION_DIR, 'test/editor/install-tools.sh'), TOOLS], {
      env: process.env,
    });
  }
  for (const [file, what] of [
    [ADAPTER_PYTHON, 'the Python that runs the adapter (DAPATTACH_PYTHON)'],
    [TARGET_PYTHON, 'the Python 3.14 that runs the target (DAPATTACH_TARGET_PYTHON)'],
    [CHROMIUM, 'Chromium (DAPATTACH_CHROMIUM; Debian: apt-get install chromium)'],
  ]) {
    if (!fs.existsSync(file)) throw new Error(`${file} does not exist: it should be ${what}.`);
  }
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

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The workspace, the user settings that keep first-run noise out of the screenshots, and the extension. */
async function prepareEditor(targetPid) {
  const workspace = path.join(SCRATCH, 'workspace');
  const userData = path.join(SCRATCH, 'user-data');
  const extensions = path.join(SCRATCH, 'extensions');
  fs.mkdirSync(workspace, { recursive: true });
  writeJson(path.join(workspace, '.vscode/settings.json'), { 'dapattach.python': ADAPTER_PYTHON });
  writeJson(path.join(workspace, '.vscode/launch.json'), {
    version: '0.2.0',
    configurations: [
      { type: 'dapattach', request: 'attach', name: 'Attach to PID', processId: targetPid, logToFile: true },
      {
        type: 'dapattach',
        request: 'attach',
        name: 'Attach to PID, non-stop',
        processId: targetPid,
        stopAll: false,
      },
    ],
  });
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
  log('code-server --install-extension');
  const installed = await run(
    codeServer(),
    ['--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', VSIX],
    { env: editorEnv() },
  );
  if (!/successfully installed/i.test(installed)) {
    throw new Error(`code-server did not install ${VSIX}:\n${installed}`);
  }
  return { workspace, userData, extensions };
}

function codeServer() {
  return path.join(TOOLS, 'node_modules/.bin/code-server');
}

/** code-server writes a config file and logs under XDG dirs; keep them in the scratch directory. */
function editorEnv() {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(SCRATCH, 'xdg-config'),
    XDG_DATA_HOME: path.join(SCRATCH, 'xdg-data'),
    XDG_CACHE_HOME: path.join(SCRATCH, 'xdg-cache'),
  };
}

async function startCodeServer({ workspace, userData, extensions }) {
  const server = startProcess(
    'code-server',
    codeServer(),
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
      workspace,
    ],
    { env: editorEnv() },
  );
  const [, url] = await nextLine(server, /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/?)/, 60_000);
  log(`code-server at ${url}`);
  return { server, url };
}

async function startTarget(workspace) {
  const script = path.join(workspace, 'service.py');
  fs.writeFileSync(script, SERVICE_SOURCE);
  const target = startProcess('target', TARGET_PYTHON, ['-u', script], { cwd: workspace });
  const [, port] = await nextLine(target, /^LISTENING (\d+)$/);
  const sockets = [];
  for (let number = 1; number <= CONNECTIONS; number++) {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.setEncoding('utf8');
    socket.lines = [];
    socket.on('data', (data) => socket.lines.push(...data.split('\n').filter(Boolean)));
    sockets.push(socket);
    cleanups.push(() => socket.destroy());
    await nextLine(target, new RegExp(`^CONNECTED ${number}$`));
  }
  log(`target pid ${target.child.pid} with ${CONNECTIONS} connections: ${TARGET_PYTHON} ${script}`);
  return { target, pid: target.child.pid, script, sockets };
}

async function shot(page, name) {
  const file = path.join(SHOTS, `${String(++shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

/** Runs a command from the command palette, choosing the entry whose label is exactly `label`. */
async function runCommand(page, label) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${label}`);
  await chooseQuickPickRow(page, (text) => text.startsWith(label));
}

/** Moves the quick pick's focus down to the first row whose text passes `accept`, then presses Enter. */
async function chooseQuickPickRow(page, accept, description = 'the wanted entry') {
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

async function rows(page, selector) {
  return (await page.locator(`${selector} .monaco-list-row`).allInnerTexts()).map((text) =>
    text.replace(/\s+/g, ' ').trim(),
  );
}

async function openServiceAndSetBreakpoint(page) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill('service.py');
  await chooseQuickPickRow(page, (text) => text.startsWith('service.py'), 'service.py');
  await page.locator('.editor-instance .view-line', { hasText: '# @process' }).waitFor();
  await page.keyboard.press('Control+G');
  await input.fill(`:${PROCESS_LINE}`);
  await page.keyboard.press('Enter');
  await page.keyboard.press('F9');
  await page.locator('.editor-instance .codicon-debug-breakpoint').first().waitFor();
  log(`breakpoint set on service.py:${PROCESS_LINE}`);
}

async function startSession(page, name, target) {
  await runCommand(page, 'Debug: Select and Start Debugging');
  await chooseQuickPickRow(page, (text) => text.startsWith(name));
  // The server is idle, so the agent is not in yet: the Call Stack shows the outside snapshot meanwhile.
  await page.locator('.debug-call-stack .monaco-list-row', { hasText: "Task 'conn-5'" }).first().waitFor();
  await shot(page, `${name.replaceAll(/[^a-z]+/gi, '-')}-waiting-snapshot`);
  console.log(`Call Stack while the agent waits:\n  ${(await rows(page, '.debug-call-stack')).join('\n  ')}`);
  target.sockets[2].write('work 21\n');
  await page
    .locator('.debug-call-stack .monaco-list-row', { hasText: /^\s*process/ })
    .first()
    .waitFor();
  await page.locator('.editor-instance .debug-top-stack-frame-line').first().waitFor();
  log(`${name}: stopped in process at service.py:${PROCESS_LINE} (connection 3 sent "work 21")`);
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  log(`scratch directory ${SCRATCH}`);
  await ensureTools();
  const require = createRequire(path.join(TOOLS, 'package.json'));
  const { chromium } = require('playwright-core');
  await buildVsix();
  const workspace = path.join(SCRATCH, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const target = await startTarget(workspace);
  const dirs = await prepareEditor(target.pid);
  const { server, url } = await startCodeServer(dirs);
  const context = await chromium.launchPersistentContext(path.join(SCRATCH, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 2000 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT);
  try {
    await page.goto(`${url}?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'service.py' }).waitFor();
    await openServiceAndSetBreakpoint(page);

    await startSession(page, 'Attach to PID', target);
    await page.locator('.debug-call-stack .monaco-list-row', { hasText: "Task 'conn-2'" }).first().waitFor();
    // The editor loads the stopped thread's other frames a moment later, which moves the task rows down:
    // a click before that lands on a frame.
    await page.locator('.debug-call-stack .monaco-list-row', { hasText: '<module>' }).first().waitFor();
    await shot(page, 'all-stop-call-stack');
    console.log(`Call Stack (all-stop):\n  ${(await rows(page, '.debug-call-stack')).join('\n  ')}`);

    const task = page.locator('.debug-call-stack .monaco-list-row', { hasText: "Task 'conn-2'" }).first();
    await task.click();
    await page.keyboard.press('ArrowRight');
    await page
      .locator('.debug-call-stack .monaco-list-row', { hasText: /^\s*read_request/ })
      .first()
      .waitFor();
    await shot(page, 'task-conn-2-expanded');
    console.log(
      `Call Stack, Task 'conn-2' expanded:\n  ${(await rows(page, '.debug-call-stack')).join('\n  ')}`,
    );

    const handle = page.locator('.debug-call-stack .monaco-list-row', { hasText: /^\s*handle/ });
    const count = await handle.count();
    await handle.nth(count - 1).click();
    await page
      .locator('.debug-variables .monaco-list-row', { hasText: /^\s*number\s*[=:]\s*2\s*$/ })
      .waitFor();
    await shot(page, 'task-conn-2-handle-variables');
    console.log(`Variables of conn-2's handle:\n  ${(await rows(page, '.debug-variables')).join('\n  ')}`);
    console.log(
      `Editor shows: ${(await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).split('\n').length} lines; focused frame line highlighted`,
    );

    await runCommand(page, 'Debug Console: Focus on Debug Console View');
    const input = page.locator('.repl-input-wrapper .monaco-editor textarea');
    await input.waitFor();
    await input.focus();
    await page.keyboard.type('connection.get()');
    await page.keyboard.press('Enter');
    await page.locator('.repl .monaco-list-row', { hasText: "'conn-2'" }).first().waitFor();
    await shot(page, 'task-conn-2-debug-console');
    log(`Debug Console in conn-2's handle frame: connection.get() → 'conn-2'`);

    await page.keyboard.press('F5');
    const deadline = Date.now() + STEP_TIMEOUT;
    while (!target.sockets[2].lines.includes('42') && Date.now() < deadline) await page.waitForTimeout(100);
    log(`connection 3 got its answer after continue: ${JSON.stringify(target.sockets[2].lines)}`);
    await page.keyboard.press('Shift+F5');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden' });

    await startSession(page, 'Attach to PID, non-stop', target);
    await page.locator('.debug-call-stack .monaco-list-row', { hasText: "Task 'conn-2'" }).first().waitFor();
    await shot(page, 'non-stop-call-stack');
    console.log(`Call Stack (non-stop):\n  ${(await rows(page, '.debug-call-stack')).join('\n  ')}`);
    await page.locator('.debug-call-stack .monaco-list-row', { hasText: "Task 'conn-2'" }).first().click();
    await page.waitForTimeout(1500);
    await shot(page, 'non-stop-task-clicked');
    console.log(
      `Call Stack (non-stop), conn-2 clicked:\n  ${(await rows(page, '.debug-call-stack')).join('\n  ')}`,
    );
    await page.keyboard.press('F5');
    await page.keyboard.press('Shift+F5');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden' });
  } catch (error) {
    await page.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => {});
    console.error(`code-server log:\n${tail(server, 40)}\n\ntarget output:\n${tail(target.target, 10)}`);
    throw error;
  }
}

async function cleanup() {
  for (const step of cleanups.reverse()) {
    await Promise.resolve()
      .then(step)
      .catch((error) => console.error(`cleanup: ${error.message}`));
  }
}

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
