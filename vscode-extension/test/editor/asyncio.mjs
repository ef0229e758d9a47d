/**
 * What asyncio tasks look like in a real VS Code (code-server), step by step, with screenshots: the packaged
 * extension attached to an asyncio line server with five connections, stopped in one connection's
 * request; the Call Stack's task entries, one task's await chain, a waiting coroutine's variables and an
 * evaluation in its context; then the same in non-stop mode. It prints what each view shows.
 *
 *   node test/editor/asyncio.mjs [--no-build]      (tools as for run.mjs: see README.md here)
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import {
  REPO,
  STEP_TIMEOUT,
  TARGET_PYTHON,
  WORKSPACE,
  atCleanup,
  chooseQuickPickRow,
  evaluateInDebugConsole,
  inWorkbench,
  log,
  nextLine,
  prepareEditor,
  runCommand,
  runTest,
  setBreakpoint,
  setUp,
  shot,
  startCodeServer,
  startProcess,
} from './harness.mjs';

const ADAPTER_PYTHON = process.env.DAPATTACH_PYTHON ?? path.join(REPO, '.venv/bin/python');
const SERVICE_SOURCE = fs.readFileSync(path.join(REPO, 'tests/targets/asyncio_service.py'), 'utf8');
const PROCESS_LINE = SERVICE_SOURCE.split('\n').findIndex((line) => line.endsWith('# @process')) + 1;
const CONNECTIONS = 5;

async function startTarget() {
  const script = path.join(WORKSPACE, 'service.py');
  fs.writeFileSync(script, SERVICE_SOURCE);
  const target = startProcess('target', TARGET_PYTHON, ['-u', script], { cwd: WORKSPACE });
  const [, port] = await nextLine(target, /^LISTENING (\d+)$/);
  const sockets = [];
  for (let number = 1; number <= CONNECTIONS; number++) {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.setEncoding('utf8');
    socket.lines = [];
    socket.on('data', (data) => socket.lines.push(...data.split('\n').filter(Boolean)));
    sockets.push(socket);
    atCleanup(() => socket.destroy());
    await nextLine(target, new RegExp(`^CONNECTED ${number}$`));
  }
  log(`target pid ${target.child.pid} with ${CONNECTIONS} connections: ${TARGET_PYTHON} ${script}`);
  return { target, pid: target.child.pid, script, sockets };
}

async function rows(page, selector) {
  return (await page.locator(`${selector} .monaco-list-row`).allInnerTexts()).map((text) =>
    text.replace(/\s+/g, ' ').trim(),
  );
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
  const chromium = await setUp([[ADAPTER_PYTHON, 'the Python that runs the adapter (DAPATTACH_PYTHON)']]);
  const target = await startTarget();
  const { server, url } = await startCodeServer(
    await prepareEditor({
      settings: { 'dapattach.python': ADAPTER_PYTHON },
      configurations: [
        {
          type: 'dapattach',
          request: 'attach',
          name: 'Attach to PID',
          processId: target.pid,
          logToFile: true,
        },
        {
          type: 'dapattach',
          request: 'attach',
          name: 'Attach to PID, non-stop',
          processId: target.pid,
          stopAll: false,
        },
      ],
    }),
  );
  const logs = [
    [server, 40],
    [target.target, 10],
  ];
  await inWorkbench(chromium, { url, height: 2000, file: 'service.py', logs }, async (page) => {
    await setBreakpoint(page, 'service.py', PROCESS_LINE, '# @process');

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

    await evaluateInDebugConsole(page, 'connection.get()', "'conn-2'");
    await shot(page, 'task-conn-2-debug-console');

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
  });
}

await runTest(main);
