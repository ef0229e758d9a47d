import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { chooseInterpreter } from '../../src/interpreter';
import { probeInterpreter } from '../../src/interpreterProbe';
import { ADAPTER_PYTHON, FIXTURES_DIR, TARGET_PYTHON } from '../support/environment';

describe('probeInterpreter (runs real interpreters)', () => {
  test('a Python 3.14 with dapattach installed', async () => {
    const outcome = await probeInterpreter(ADAPTER_PYTHON);
    assert.ok(outcome.found, `probe of ${ADAPTER_PYTHON} failed: ${JSON.stringify(outcome)}`);
    assert.deepEqual(outcome.version.slice(0, 2), [3, 14]);
    assert.equal(outcome.hasDapattach, true);
  });

  test('a bare Python 3.14 cannot import dapattach', async () => {
    const outcome = await probeInterpreter(TARGET_PYTHON);
    assert.ok(outcome.found);
    assert.equal(outcome.hasDapattach, false);
  });

  test('a path that does not exist is "not found"', async () => {
    assert.deepEqual(await probeInterpreter('/nonexistent/bin/python3.14'), {
      found: false,
      error: 'not found',
    });
  });

  test('a file that is not executable is "not executable"', async () => {
    assert.deepEqual(await probeInterpreter(path.join(FIXTURES_DIR, 'loop_target.py')), {
      found: false,
      error: 'not executable',
    });
  });

  test('a program that is not Python is recognised as such', async () => {
    const outcome = await probeInterpreter('/bin/echo');
    assert.deepEqual(outcome, { found: false, error: 'it does not behave like a Python interpreter' });
  });

  test('chooseInterpreter with the real probe picks the configured interpreter', async () => {
    const choice = await chooseInterpreter({ setting: ADAPTER_PYTHON }, (command) =>
      probeInterpreter(command),
    );
    assert.ok(choice.ok, JSON.stringify(choice));
    assert.equal(choice.origin, 'setting "dapattach.python"');
  });

  test('chooseInterpreter with the real probe explains a bare interpreter', async () => {
    const choice = await chooseInterpreter({ setting: TARGET_PYTHON }, (command) =>
      probeInterpreter(command),
    );
    assert.ok(!choice.ok);
    assert.match(choice.message, /cannot import dapattach/);
  });
});
