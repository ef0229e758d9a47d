import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  adapterArguments,
  checkConfiguration,
  parseProcessId,
  PICK_PROCESS,
  withDefaults,
} from '../../src/configuration';

describe('withDefaults', () => {
  test('an empty configuration (no launch.json) becomes attach-by-picking', () => {
    assert.deepEqual(withDefaults({}), {
      type: 'dapattach',
      request: 'attach',
      name: 'Python (dapattach): pick a process',
      processId: PICK_PROCESS,
      justMyCode: true,
      showReturnValue: true,
      logToFile: false,
      redirectOutput: true,
    });
  });

  test("fills only what is missing and keeps the user's values and extra keys", () => {
    const config = withDefaults({
      type: 'dapattach',
      request: 'attach',
      name: 'mine',
      processId: 123,
      justMyCode: false,
      pathMappings: [{ localRoot: '/here', remoteRoot: '/there' }],
      __sessionId: 'abc',
    });
    assert.equal(config.justMyCode, false);
    assert.equal(config.showReturnValue, true);
    assert.equal(config.processId, 123);
    assert.equal(config.name, 'mine');
    assert.equal(config.__sessionId, 'abc');
    assert.deepEqual(config.pathMappings, [{ localRoot: '/here', remoteRoot: '/there' }]);
  });

  test('a missing processId opens the picker', () => {
    assert.equal(withDefaults({ type: 'dapattach', request: 'attach', name: 'x' }).processId, PICK_PROCESS);
  });

  test('does not turn a launch request into an attach', () => {
    assert.equal(withDefaults({ type: 'dapattach', request: 'launch', name: 'x' }).request, 'launch');
  });
});

describe('checkConfiguration', () => {
  const base = { type: 'dapattach', request: 'attach', name: 'Attach', processId: 4242 };

  test('a good configuration passes with defaults filled in', () => {
    const result = checkConfiguration(base);
    assert.ok(result.ok);
    assert.equal(result.config.processId, 4242);
    assert.equal(result.config.justMyCode, true);
    assert.equal(result.config.showReturnValue, true);
  });

  test('a pid string from the picker becomes a number', () => {
    const result = checkConfiguration({ ...base, processId: '4242' });
    assert.ok(result.ok);
    assert.equal(result.config.processId, 4242);
  });

  test('launch is refused with the fix', () => {
    const result = checkConfiguration({ ...base, request: 'launch' });
    assert.ok(!result.ok);
    assert.match(result.message, /Cannot start the "Attach" debug session/);
    assert.match(result.message, /only attaches to running processes: use "request": "attach"/);
  });

  test('an unreplaced variable is named', () => {
    const result = checkConfiguration({ ...base, processId: '${command:pickProcess2}' });
    assert.ok(!result.ok);
    assert.match(result.message, /a variable VS Code did not replace/);
    assert.match(result.message, /dapattach\.pickProcess/);
  });

  test('every problem is reported at once', () => {
    const result = checkConfiguration({
      ...base,
      processId: 'abc',
      justMyCode: 'yes',
      redirectOutput: 'no',
      timeout: -1,
      stoppedTimeout: '10',
      python: '',
      pathMappings: [{ localRoot: '/a' }],
    });
    assert.ok(!result.ok);
    assert.match(result.message, /"processId" must be a process id .* not "abc"/);
    assert.match(result.message, /"justMyCode" must be true or false, not "yes"/);
    assert.match(result.message, /"redirectOutput" must be true or false, not "no"/);
    assert.match(result.message, /"timeout" must be a positive number of seconds, not -1/);
    assert.match(result.message, /"stoppedTimeout" must be a positive number of seconds, not "10"/);
    assert.match(result.message, /"python" must be the path of a Python 3\.14\+ interpreter/);
    assert.match(result.message, /"pathMappings"\[0\] needs string "localRoot" and "remoteRoot"/);
  });

  test('non-stop and asyncio options pass through and must be booleans', () => {
    const result = checkConfiguration({ ...base, stopAll: false, asyncioTasks: false });
    assert.ok(result.ok);
    assert.equal(result.config.stopAll, false);
    assert.equal(result.config.asyncioTasks, false);
    const wrong = checkConfiguration({ ...base, stopAll: 'no', asyncioTasks: 1 });
    assert.ok(!wrong.ok);
    assert.match(wrong.message, /"stopAll" must be true or false, not "no"/);
    assert.match(wrong.message, /"asyncioTasks" must be true or false, not 1/);
  });

  test('subProcess must be true or false', () => {
    const result = checkConfiguration({ ...base, subProcess: 'all' });
    assert.ok(!result.ok);
    assert.match(result.message, /"subProcess" must be true or false, not "all"/);
  });

  test("a child session's configuration from the adapter passes through as it is", () => {
    const subProcessOf = { processId: 4700, socket: '/tmp/dapattach-x/subprocesses.sock', token: 'ab12' };
    const result = checkConfiguration({
      type: 'dapattach',
      request: 'attach',
      name: 'worker 4711: gunicorn app:app',
      processId: 4711,
      subProcessOf,
    });
    assert.ok(result.ok);
    assert.equal(result.config.processId, 4711);
    assert.equal(result.config.name, 'worker 4711: gunicorn app:app');
    assert.deepEqual(result.config.subProcessOf, subProcessOf);
  });

  test('pathMappings must be a list', () => {
    const result = checkConfiguration({ ...base, pathMappings: { localRoot: '/a', remoteRoot: '/b' } });
    assert.ok(!result.ok);
    assert.match(result.message, /"pathMappings" must be a list/);
  });
});

describe('parseProcessId', () => {
  test('accepts positive whole numbers as numbers or digit strings', () => {
    assert.equal(parseProcessId(1), 1);
    assert.equal(parseProcessId(' 77 '), 77);
  });

  test('missing, zero, negative, fractional and huge values are explained', () => {
    assert.match(String(parseProcessId(undefined)), /"processId" is missing/);
    assert.match(String(parseProcessId('')), /"processId" is missing/);
    assert.match(String(parseProcessId(null)), /"processId" is missing/);
    for (const bad of [0, -5, 1.5, '12a', '-3', 2 ** 60, true]) {
      assert.match(String(parseProcessId(bad)), /must be a process id/, `for ${String(bad)}`);
    }
  });
});

describe('adapterArguments', () => {
  test('runs the module, with --log-dir only when logging to a file', () => {
    assert.deepEqual(adapterArguments(undefined), ['-m', 'dapattach']);
    assert.deepEqual(adapterArguments('/tmp/logs'), ['-m', 'dapattach', '--log-dir', '/tmp/logs']);
    assert.deepEqual(adapterArguments(undefined, '/ext/python/launch.py'), ['-I', '/ext/python/launch.py']);
    assert.deepEqual(adapterArguments('/tmp/logs', '/ext/python/launch.py'), [
      '-I',
      '/ext/python/launch.py',
      '--log-dir',
      '/tmp/logs',
    ]);
  });
});
