import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  candidates,
  chooseInterpreter,
  isSupported,
  parseProbeOutput,
  type ProbeOutcome,
  type Version,
} from '../../src/interpreter';

/** A probe answering from a table, recording what it was asked. */
function tableProbe(table: Record<string, ProbeOutcome>): {
  probe: (c: string) => Promise<ProbeOutcome>;
  asked: string[];
} {
  const asked: string[] = [];
  return {
    asked,
    probe: (command) => {
      asked.push(command);
      return Promise.resolve(table[command] ?? { found: false, error: 'not found' });
    },
  };
}

function python(executable: string, version: Version, hasDapattach = true): ProbeOutcome {
  return { found: true, executable, version, hasDapattach };
}

describe('candidates', () => {
  test('launch configuration, setting, Python extension, then PATH', () => {
    assert.deepEqual(
      candidates({ configured: '/a/python', setting: '/b/python', pythonExtension: '/c/python' }).map((c) => [
        c.command,
        c.explicit,
      ]),
      [
        ['/a/python', true],
        ['/b/python', true],
        ['/c/python', false],
        ['python3.14', false],
        ['python3.15', false],
        ['python3', false],
      ],
    );
  });

  test('blank values are not candidates', () => {
    assert.deepEqual(
      candidates({ configured: '  ', setting: '' }).map((c) => c.command),
      ['python3.14', 'python3.15', 'python3'],
    );
  });
});

describe('chooseInterpreter', () => {
  test('takes the setting when it is good, without asking anything else', async () => {
    const { probe, asked } = tableProbe({
      '/opt/py/bin/python': python('/opt/py/bin/python3.14', [3, 14, 10]),
    });
    const choice = await chooseInterpreter({ setting: '/opt/py/bin/python', pythonExtension: '/x' }, probe);
    assert.deepEqual(choice, {
      ok: true,
      executable: '/opt/py/bin/python3.14',
      version: [3, 14, 10],
      origin: 'setting "dapattach.python"',
    });
    assert.deepEqual(asked, ['/opt/py/bin/python']);
  });

  test('the launch configuration wins over the setting', async () => {
    const { probe } = tableProbe({
      '/launch/python': python('/launch/python', [3, 15, 2]),
      '/setting/python': python('/setting/python', [3, 14, 10]),
    });
    const choice = await chooseInterpreter(
      { configured: '/launch/python', setting: '/setting/python' },
      probe,
    );
    assert.equal(choice.ok && choice.executable, '/launch/python');
  });

  test('a too-old interpreter in the setting is an error that says what to do, not a silent fallback', async () => {
    const { probe, asked } = tableProbe({
      '/usr/bin/python3': python('/usr/bin/python3', [3, 11, 2]),
      'python3.14': python('/opt/py314/bin/python3.14', [3, 14, 10]),
    });
    const choice = await chooseInterpreter({ setting: '/usr/bin/python3' }, probe);
    assert.equal(choice.ok, false);
    assert.ok(!choice.ok);
    assert.match(choice.message, /setting "dapattach\.python", \/usr\/bin\/python3/);
    assert.match(choice.message, /Python 3\.11\.2; dapattach needs Python 3\.14 or newer/);
    assert.match(choice.message, /\/usr\/bin\/python3 -m pip install dapattach/);
    assert.deepEqual(asked, ['/usr/bin/python3']);
  });

  test('a launch configuration python without dapattach says so', async () => {
    const { probe } = tableProbe({ '/p': python('/p', [3, 14, 0], false) });
    const choice = await chooseInterpreter({ configured: '/p' }, probe);
    assert.ok(!choice.ok);
    assert.match(choice.message, /launch configuration "python", \/p/);
    assert.match(choice.message, /cannot import dapattach/);
  });

  test('a missing interpreter in the setting is reported as not found', async () => {
    const { probe } = tableProbe({});
    const choice = await chooseInterpreter({ setting: '/nope/python' }, probe);
    assert.ok(!choice.ok);
    assert.match(choice.message, /\/nope\/python, cannot run the dapattach debug adapter: not found/);
  });

  test("the Python extension's interpreter is used when good", async () => {
    const { probe } = tableProbe({ '/venv/bin/python': python('/venv/bin/python', [3, 14, 10]) });
    const choice = await chooseInterpreter({ pythonExtension: '/venv/bin/python' }, probe);
    assert.ok(choice.ok);
    assert.equal(choice.origin, 'Python extension');
  });

  test('an unusable Python extension interpreter falls through to PATH', async () => {
    const { probe, asked } = tableProbe({
      '/venv312/bin/python': python('/venv312/bin/python', [3, 12, 1]),
      'python3.15': python('/usr/bin/python3.15', [3, 15, 2]),
    });
    const choice = await chooseInterpreter({ pythonExtension: '/venv312/bin/python' }, probe);
    assert.ok(choice.ok);
    assert.equal(choice.executable, '/usr/bin/python3.15');
    assert.equal(choice.origin, 'PATH');
    assert.deepEqual(asked, ['/venv312/bin/python', 'python3.14', 'python3.15']);
  });

  test('python3 on PATH is taken only when it is new enough and has dapattach', async () => {
    const { probe } = tableProbe({ python3: python('/usr/bin/python3', [3, 14, 1]) });
    const choice = await chooseInterpreter({}, probe);
    assert.ok(choice.ok);
    assert.equal(choice.executable, '/usr/bin/python3');
  });

  test('when nothing fits, the message lists every attempt and the fix', async () => {
    const { probe } = tableProbe({
      '/venv/bin/python': python('/venv/bin/python', [3, 13, 0]),
      'python3.14': python('/usr/bin/python3.14', [3, 14, 10], false),
      python3: python('/usr/bin/python3', [3, 11, 2]),
    });
    const choice = await chooseInterpreter({ pythonExtension: '/venv/bin/python' }, probe);
    assert.ok(!choice.ok);
    assert.match(choice.message, /^No Python interpreter that can run the dapattach debug adapter was found/);
    assert.match(choice.message, /\/venv\/bin\/python \(Python extension\): it is Python 3\.13\.0/);
    assert.match(choice.message, /python3\.14 \(PATH\): it is Python 3\.14\.10 but cannot import dapattach/);
    assert.match(choice.message, /python3\.15 \(PATH\): not found/);
    assert.match(choice.message, /python3 \(PATH\): it is Python 3\.11\.2/);
    assert.match(choice.message, /python3\.14 -m pip install dapattach/);
    assert.match(choice.message, /"dapattach\.python"/);
  });
});

describe('isSupported', () => {
  test('3.14 and later only', () => {
    assert.equal(isSupported([3, 13, 9]), false);
    assert.equal(isSupported([3, 14, 0]), true);
    assert.equal(isSupported([3, 15, 2]), true);
    assert.equal(isSupported([4, 0, 0]), true);
    assert.equal(isSupported([2, 99, 0]), false);
  });
});

describe('parseProbeOutput', () => {
  test('reads the probe line, ignoring noise printed before it', () => {
    assert.deepEqual(
      parseProbeOutput(
        'sitecustomize says hi\n{"executable": "/x/python3.14", "version": [3, 14, 10], "dapattach": true}\n',
      ),
      { found: true, executable: '/x/python3.14', version: [3, 14, 10], hasDapattach: true },
    );
  });

  test('anything else is not a probe answer', () => {
    assert.equal(parseProbeOutput(''), undefined);
    assert.equal(parseProbeOutput('Python 3.14.10'), undefined);
    assert.equal(parseProbeOutput('{"executable": "/x", "version": [3, 14], "dapattach": true}'), undefined);
    assert.equal(
      parseProbeOutput('{"executable": "/x", "version": [3, 14, 0], "dapattach": "yes"}'),
      undefined,
    );
    assert.equal(parseProbeOutput('null'), undefined);
  });
});

describe("with the extension's own copy of dapattach (bundled)", () => {
  test('any Python 3.14+ runs the adapter, dapattach installed or not', async () => {
    const { probe } = tableProbe({
      python3: python('/usr/bin/python3', [3, 11, 2], false),
      'python3.14': python('/opt/py314/bin/python3.14', [3, 14, 10], false),
    });
    const without = await chooseInterpreter({}, probe);
    assert.equal(without.ok, false, 'without the bundle the interpreter must import dapattach');
    const choice = await chooseInterpreter({}, probe, true);
    assert.deepEqual(choice, {
      ok: true,
      executable: '/opt/py314/bin/python3.14',
      version: [3, 14, 10],
      origin: 'PATH',
    });
  });

  test("the target's own interpreter comes after the Python extension and before PATH", async () => {
    assert.deepEqual(
      candidates({ pythonExtension: '/ext/python', target: '/srv/app/bin/python3.15' }).map((c) => c.origin),
      ['Python extension', 'target process', 'PATH', 'PATH', 'PATH'],
    );
    const { probe, asked } = tableProbe({
      '/srv/app/bin/python3.15': python('/srv/app/bin/python3.15', [3, 15, 0], false),
    });
    const choice = await chooseInterpreter({ target: '/srv/app/bin/python3.15' }, probe, true);
    assert.ok(choice.ok && choice.origin === 'target process');
    assert.deepEqual(asked, ['/srv/app/bin/python3.15'], 'nothing else is asked once the target answered');
  });

  test('the message for no interpreter at all says the extension brings dapattach', async () => {
    const choice = await chooseInterpreter({}, tableProbe({}).probe, true);
    assert.ok(!choice.ok);
    assert.match(choice.message, /it needs Python 3\.14 or newer\)/);
    assert.match(choice.message, /the extension brings dapattach itself/);
  });
});
