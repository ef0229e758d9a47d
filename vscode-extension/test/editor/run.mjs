/**
 * The editor test: the packaged extension in a real VS Code (code-server), driven through headless
 * Chromium the way a user would — open the file, F9, pick the process by its pid, look at the call stack
 * and the variables, evaluate in the Debug Console, see the program's output there, complete a name and an
 * attribute there, continue, press the stop button — and the target keeps running afterwards. Then a
 * process tree: attaching to a master shows a session per worker in the Call Stack view, a worker stops at
 * the breakpoint, and stopping the master's session ends them all.
 *
 * By default nothing tells the extension which Python to use and dapattach is installed in no interpreter
 * the editor can see: the extension must run its bundled copy on the target's own interpreter. The test
 * checks that first, and reads from the Debug Console which interpreter ran the adapter and where
 * dapattach came from. DAPATTACH_PYTHON names an interpreter for "dapattach.python" instead.
 *
 *   npm run test:editor            (node test/editor/run.mjs; --no-build uses the existing .vsix)
 *
 * See README.md in this folder for the tools it needs and the environment variables it reads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  SCRATCH,
  STEP_TIMEOUT,
  TARGET_PYTHON,
  WORKSPACE,
  chooseQuickPickRow,
  evaluateInDebugConsole,
  focusDebugConsoleInput,
  inWorkbench,
  isAlive,
  log,
  nextLine,
  prepareEditor,
  run,
  runCommand,
  runTest,
  setBreakpoint,
  setUp,
  shot,
  startCodeServer,
  startProcess,
} from './harness.mjs';

const ADAPTER_PYTHON = process.env.DAPATTACH_PYTHON;

const TARGET_SOURCE = `import os
import time


def tick(counter):
    doubled = counter * 2  # BREAKPOINT
    return doubled


def main():
    print(f"ready {os.getpid()}", flush=True)
    counter = 0
    while True:
        counter += 1
        print(f"counter {counter}", flush=True)
        tick(counter)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
`;
const BREAKPOINT_LINE = TARGET_SOURCE.split('\n').findIndex((line) => line.includes('# BREAKPOINT')) + 1;

const TREE_SOURCE = `import ctypes
import os
import signal
import time


def say(line):
    os.write(1, (line + "\\n").encode())  # one write per line: three processes share the pipe


def handle(job):
    result = job * 2  # WORKER BREAKPOINT
    return result


def work():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    job = 0
    while True:
        job += 1
        handle(job)
        say(f"worker {os.getpid()} job {job}")
        time.sleep(0.1)


def main():
    workers = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            work()
        workers.append(pid)
    say("workers " + " ".join(map(str, workers)))
    say(f"ready {os.getpid()}")
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    main()
`;
const WORKER_LINE = TREE_SOURCE.split('\n').findIndex((line) => line.includes('# WORKER BREAKPOINT')) + 1;

/**
 * PATH without any folder that holds a python3.14 or python3.15 (the extension would take those before
 * the target's interpreter), unless DAPATTACH_PYTHON is set.
 */
function editorPath() {
  const folders = (process.env.PATH ?? '').split(path.delimiter);
  if (ADAPTER_PYTHON !== undefined) return folders.join(path.delimiter);
  const hasNewPython = (folder) =>
    ['python3.14', 'python3.15'].some((name) => fs.existsSync(path.join(folder, name)));
  return folders.filter((folder) => folder !== '' && !hasNewPython(folder)).join(path.delimiter);
}

/** No interpreter the editor can find may import dapattach: the extension must bring its own. */
async function expectNoInstalledDapattach() {
  if (ADAPTER_PYTHON !== undefined) return;
  const pythons = [TARGET_PYTHON];
  for (const folder of editorPath().split(path.delimiter)) {
    for (const name of ['python3', 'python']) {
      if (fs.existsSync(path.join(folder, name))) pythons.push(path.join(folder, name));
    }
  }
  for (const python of pythons) {
    const found = await run(
      python,
      ['-c', 'import importlib.util as u; print(u.find_spec("dapattach") is not None)'],
      {
        env: { PATH: editorPath() },
      },
    ).catch(() => 'False');
    if (found.trim() !== 'False')
      throw new Error(`${python} can import dapattach: uninstall it for this test`);
  }
  log(`dapattach is importable by none of ${pythons.join(', ')}`);
}

async function startTarget() {
  const script = path.join(WORKSPACE, 'counter.py');
  fs.writeFileSync(script, TARGET_SOURCE);
  const target = startProcess('target', TARGET_PYTHON, ['-u', script], { cwd: WORKSPACE });
  const [, pid] = await nextLine(target, /^ready (\d+)$/);
  if (Number(pid) !== target.child.pid) {
    throw new Error(`the target says its pid is ${pid}, but it was started as ${target.child.pid}`);
  }
  log(`target pid ${pid}: ${TARGET_PYTHON} ${script}`);
  return { target, pid: Number(pid), script };
}

/** The prefork-style tree: a master and two forked workers, each handling a job every 100 ms. */
async function startTree() {
  const script = path.join(WORKSPACE, 'workers.py');
  fs.writeFileSync(script, TREE_SOURCE);
  const tree = startProcess('tree', TARGET_PYTHON, ['-u', script], { cwd: WORKSPACE });
  const [[, workers], [, pid]] = await Promise.all([
    nextLine(tree, /^workers (\d+ \d+)$/),
    nextLine(tree, /^ready (\d+)$/),
  ]);
  log(`master pid ${pid}, workers ${workers}: ${TARGET_PYTHON} ${script}`);
  return { tree, pid: Number(pid), workers: workers.split(' ').map(Number) };
}

/**
 * Session 3: the master of a process tree. VS Code opens a child session per worker (startDebugging);
 * the Call Stack view lists them, a worker stops at the breakpoint, and stopping the master's session
 * ends every child session while the workers run on.
 */
async function debugTree(page, tree) {
  await setBreakpoint(page, 'workers.py', WORKER_LINE, 'BREAKPOINT');
  const asked = Date.now();
  await runCommand(page, 'Debug: Select and Start Debugging');
  await chooseQuickPickRow(page, (text) => text.startsWith('Attach to the master'));
  const sessions = page.locator('.debug-call-stack .monaco-list-row', { hasText: /worker \d+: workers\.py/ });
  const deadline = Date.now() + 60_000;
  while ((await sessions.count()) < tree.workers.length) {
    if (Date.now() > deadline) {
      throw new Error(
        `the Call Stack view shows ${await sessions.count()} worker sessions, not ${tree.workers.length}`,
      );
    }
    await page.waitForTimeout(100);
  }
  const names = (await sessions.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
  for (const pid of tree.workers) {
    if (!names.some((name) => name.includes(`worker ${pid}: workers.py`))) {
      throw new Error(`no session named for worker ${pid} in the Call Stack view: ${names.join(' | ')}`);
    }
  }
  log(
    `the Call Stack view shows ${names.length} child sessions ${(Date.now() - asked) / 1000} s after the start: ${names.join(' | ')}`,
  );
  const frame = page.locator('.debug-call-stack .monaco-list-row', { hasText: 'handle' }).first();
  await frame.waitFor({ timeout: 60_000 });
  const frameText = (await frame.innerText()).replace(/\s+/g, ' ');
  if (!frameText.includes('workers.py') || !frameText.includes(`${WORKER_LINE}`)) {
    throw new Error(`the stopped frame reads "${frameText}", not handle at workers.py:${WORKER_LINE}`);
  }
  await page.locator('.editor-instance .debug-top-stack-frame-line').first().waitFor();
  log(`a worker stopped in handle at workers.py:${WORKER_LINE}`);
  await shot(page, 'tree-sessions');

  await runCommand(page, 'Remove All Breakpoints');
  const paused = page.locator('.debug-call-stack .monaco-list-row', { hasText: 'PAUSED ON BREAKPOINT' });
  log(`${await paused.count()} worker session(s) paused at the breakpoint`);
  const continueButton = page.locator('.debug-toolbar .action-label[aria-label^="Continue"]');
  const until = Date.now() + STEP_TIMEOUT;
  for (let count = await paused.count(); count > 0; count = await paused.count()) {
    if (Date.now() > until) throw new Error(`${count} worker session(s) still paused`);
    await paused.first().click(); // both workers may have stopped: continue each
    // The view may still show a row as paused for a moment after its session went on: then the
    // toolbar offers Pause, and the row is looked at again.
    if (!(await shows(continueButton, 2_000))) continue;
    await continueButton.click();
    const deadline = Date.now() + STEP_TIMEOUT;
    while ((await paused.count()) >= count) {
      if (Date.now() > deadline) throw new Error('a worker session did not continue');
      await page.waitForTimeout(100);
    }
  }
  await shot(page, 'tree-continued');
  const master = page
    .locator('.debug-call-stack .monaco-list-row', { hasText: 'Attach to the master' })
    .first();
  await master.click();
  await shot(page, 'tree-master-selected');
  await pressDebugToolbarButton(page, 'Disconnect');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 60_000 });
  await sessions.first().waitFor({ state: 'detached' });
  for (const pid of tree.workers) {
    const [, first] = await nextLine(tree.tree, new RegExp(`^worker ${pid} job (\\d+)$`), 10_000);
    log(`worker ${pid} runs on after the master's session ended (job ${first})`);
  }
  if (!isAlive(tree.pid)) throw new Error(`the master (pid ${tree.pid}) is gone`);
  await shot(page, 'tree-after-disconnect');
}

/** Waits for the editor to show the stop at the breakpoint; returns the counter the Variables view shows. */
async function waitForStop(page) {
  const frame = page.locator('.debug-call-stack .monaco-list-row', { hasText: 'tick' }).first();
  await frame.waitFor({ timeout: 60_000 });
  const frameText = (await frame.innerText()).replace(/\s+/g, ' ');
  if (!frameText.includes(`counter.py`) || !frameText.includes(`${BREAKPOINT_LINE}`)) {
    throw new Error(
      `the top frame in the call stack reads "${frameText}", not tick at counter.py:${BREAKPOINT_LINE}`,
    );
  }
  await page.locator('.editor-instance .debug-top-stack-frame-line').first().waitFor();
  const counterRow = page
    .locator('.debug-variables .monaco-list-row', { hasText: /^\s*counter\s*[=:]/ })
    .first();
  await counterRow.waitFor();
  const value = (await counterRow.locator('.value').innerText()).trim();
  if (!/^\d+$/.test(value)) {
    throw new Error(`the Variables view shows counter = "${value}", not a number`);
  }
  log(`stopped in tick at counter.py:${BREAKPOINT_LINE}, counter = ${value}`);
  return Number(value);
}

/** The Debug Console's attach line says which Python ran the adapter and where dapattach came from. */
async function expectAdapterOnTargetPython(page, target) {
  await runCommand(page, 'Debug Console: Focus on Debug Console View');
  const row = page.locator('.repl .monaco-list-row', { hasText: 'The adapter runs on' }).first();
  await row.waitFor();
  const text = (await row.innerText()).replace(/\s+/g, ' ').trim();
  const [, python, home] =
    /The adapter runs on Python \S+ \((.+?)\), dapattach from (\S+?)\.?$/.exec(text) ?? [];
  log(`the adapter ran on ${python}, dapattach from ${home}`);
  if (ADAPTER_PYTHON !== undefined) return;
  const real = (file) => fs.realpathSync(file);
  if (python === undefined || real(python) !== real(TARGET_PYTHON)) {
    throw new Error(`the adapter should run on the target's interpreter ${TARGET_PYTHON}: "${text}"`);
  }
  if (!home.startsWith(path.join(SCRATCH, 'extensions'))) {
    throw new Error(`dapattach should come from the extension's bundle in ${SCRATCH}/extensions: "${text}"`);
  }
}

/**
 * Takes the suggestion whose name is exactly `label` from the Debug Console's suggest widget (it also
 * offers earlier inputs from the history): calls `whenShown` once it is offered, moves the focus down to it,
 * then presses Tab.
 */
async function acceptSuggestion(page, label, whenShown) {
  const widget = page.locator('.repl-input-wrapper .suggest-widget');
  await widget
    .locator('.monaco-list-row .label-name', { hasText: new RegExp(`^${label}$`) })
    .first()
    .waitFor();
  await whenShown();
  for (let step = 0; step < 50; step++) {
    const focused = widget.locator('.monaco-list-row.focused .label-name');
    if ((await focused.count()) > 0 && (await focused.first().innerText()).trim() === label) {
      await page.keyboard.press('Tab');
      return;
    }
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`could not move the suggest widget's focus to ${label}`);
}

/**
 * Completes in the Debug Console as a user does: Ctrl+Space after part of a name, Tab to take the
 * suggestion, then `.` (a trigger character) opens the attributes of what is there. Returns the input.
 */
async function completeInDebugConsole(page, typed, name, attributeTyped, attribute) {
  await focusDebugConsoleInput(page);
  await page.keyboard.type(typed);
  await page.keyboard.press('Control+Space');
  await acceptSuggestion(page, name, () => shot(page, 'completion-of-a-name'));
  log(`Debug Console: "${typed}" + Ctrl+Space offers ${name}`);
  await page.keyboard.type(`.${attributeTyped}`);
  await acceptSuggestion(page, attribute, () => shot(page, 'completion-of-an-attribute'));
  log(`Debug Console: "${name}.${attributeTyped}" offers ${attribute}`);
  const line = page.locator('.repl-input-wrapper .view-line');
  const wanted = `${name}.${attribute}`;
  const deadline = Date.now() + STEP_TIMEOUT; // the input shows the accepted suggestion a moment later
  for (;;) {
    const text = (await line.first().innerText()).replace(/\u00a0/g, ' ').trim();
    if (text === wanted) return text;
    if (Date.now() > deadline) {
      throw new Error(`the Debug Console input reads "${text}" after completing, not "${wanted}"`);
    }
    await page.waitForTimeout(100);
  }
}

/**
 * A line the program printed shows in the Debug Console (redirectOutput, on by default). An output row's
 * text starts with a hidden repeat count, so only its end is anchored.
 */
async function expectProgramOutput(page, text) {
  await page
    .locator('.repl .monaco-list-row', { hasText: new RegExp(`${text}\\s*$`) })
    .first()
    .waitFor();
  log(`Debug Console shows the program's output: ${text}`);
}

async function waitForSessionEnd(page, pid) {
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden' });
  await page
    .locator('.repl .monaco-list-row', { hasText: `Detached from process ${pid}` })
    .last()
    .waitFor();
  await page
    .locator('.debug-call-stack .monaco-list-row', { hasText: 'tick' })
    .first()
    .waitFor({ state: 'detached' });
  await page
    .locator('.debug-variables .monaco-list-row', { hasText: 'counter' })
    .first()
    .waitFor({ state: 'detached' });
}

/** The target prints `counter N` with N going up: it was not stopped, killed, or left paused. */
async function expectTargetRunning(target, after) {
  const [, first] = await nextLine(target.target, /^counter (\d+)$/, 10_000);
  const [, later] = await nextLine(target.target, /^counter (\d+)$/, 10_000);
  if (!(Number(later) > Number(first) && Number(first) > after)) {
    throw new Error(`the target printed counter ${first} then ${later} after ${after}: it is not running on`);
  }
  if (!isAlive(target.pid)) throw new Error(`the target (pid ${target.pid}) is gone`);
  log(`target runs on after the detach: counter ${first}, ${later}`);
}

/** Whether `locator` becomes visible within `timeoutMs`. */
async function shows(locator, timeoutMs) {
  try {
    await locator.waitFor({ timeout: timeoutMs });
    return true;
  } catch {
    return false;
  }
}

async function pressDebugToolbarButton(page, label) {
  const button = page.locator(`.debug-toolbar .action-label[aria-label^="${label}"]`);
  await button.waitFor();
  await button.click();
}

async function main() {
  const chromium = await setUp(
    ADAPTER_PYTHON === undefined ? [] : [[ADAPTER_PYTHON, 'the Python for "dapattach.python"']],
  );
  await expectNoInstalledDapattach();
  const target = await startTarget();
  const tree = await startTree();
  const { server, url } = await startCodeServer(
    await prepareEditor({
      settings: ADAPTER_PYTHON === undefined ? {} : { 'dapattach.python': ADAPTER_PYTHON },
      configurations: [
        {
          type: 'dapattach',
          request: 'attach',
          name: 'Attach by picking a process',
          processId: '${command:dapattach.pickProcess}',
          justMyCode: true,
        },
        {
          type: 'dapattach',
          request: 'attach',
          name: 'Attach to PID',
          processId: target.pid,
          justMyCode: true,
        },
        {
          type: 'dapattach',
          request: 'attach',
          name: 'Attach to the master',
          processId: tree.pid,
          logToFile: true,
        },
      ],
      env: { PATH: editorPath() },
    }),
  );
  const logs = [
    [server, 40],
    [target.target, 10],
  ];
  await inWorkbench(chromium, { url, height: 1000, file: 'counter.py', logs }, async (page) => {
    await shot(page, 'workbench');

    await setBreakpoint(page, 'counter.py', BREAKPOINT_LINE, 'BREAKPOINT');
    await shot(page, 'breakpoint-set');

    // Session 1: the picker, choosing the target by typing its pid.
    await runCommand(page, 'Debug: Select and Start Debugging');
    await chooseQuickPickRow(page, (text) => text.startsWith('Attach by picking a process'));
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Attach to a Python process' })
      .waitFor();
    await page.locator('.quick-input-widget .quick-input-box input').fill(String(target.pid));
    const wanted = new RegExp(`pid ${target.pid} · Python 3\\.14`);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: wanted }).first().waitFor();
    await shot(page, 'process-picker');
    const picked = await chooseQuickPickRow(page, (text) => wanted.test(text), `pid ${target.pid}`);
    log(`picked "${picked}"`);

    const counter = await waitForStop(page);
    await shot(page, 'stopped-via-picker');
    await expectAdapterOnTargetPython(page, target);
    await evaluateInDebugConsole(page, 'counter * 1000 + 7', counter * 1000 + 7);
    await shot(page, 'debug-console');
    // Printed in the same turn of the loop as the stop, after the agent came in (it comes in when the
    // program wakes from its sleep): a line printed before the attach is not there to be shown.
    await expectProgramOutput(page, `counter ${counter}`);
    const completed = await completeInDebugConsole(page, 'coun', 'counter', 'bit_l', 'bit_length');
    await page.keyboard.type('()');
    await page.keyboard.press('Enter');
    const bits = counter.toString(2).length;
    await page
      .locator('.repl .monaco-list-row', { hasText: new RegExp(`^\\s*${bits}\\s*$`) })
      .first()
      .waitFor();
    log(`Debug Console: ${completed}() → ${bits}`);

    await page.keyboard.press('F5');
    await page
      .locator('.debug-variables .monaco-list-row', {
        hasText: new RegExp(`^\\s*counter\\s*[=:]\\s*${counter + 1}\\s*$`),
      })
      .waitFor();
    log(`continued and stopped again with counter = ${counter + 1}`);
    await expectProgramOutput(page, `counter ${counter + 1}`);
    await shot(page, 'after-continue');

    await pressDebugToolbarButton(page, 'Disconnect');
    await waitForSessionEnd(page, target.pid);
    await expectTargetRunning(target, counter + 1);
    await shot(page, 'after-disconnect');

    // Session 2: the pid written into launch.json; the breakpoint is still set in the editor.
    await runCommand(page, 'Debug: Select and Start Debugging');
    await chooseQuickPickRow(page, (text) => text.startsWith('Attach to PID'));
    const second = await waitForStop(page);
    if (second <= counter + 1)
      throw new Error(`the second session stopped at counter ${second}, an old value`);
    await shot(page, 'stopped-via-launch-json');
    await page.keyboard.press('Shift+F5');
    await waitForSessionEnd(page, target.pid);
    await expectTargetRunning(target, second);
    await shot(page, 'after-second-disconnect');

    await runCommand(page, 'Remove All Breakpoints');
    await debugTree(page, tree);
  });
}

await runTest(main);
