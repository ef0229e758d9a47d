import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseProcessJson,
  parsePsOutput,
  ProcessListError,
  pythonExecutable,
  shorten,
  sortProcesses,
  toRow,
  toRows,
  type ProcessInfo,
} from '../../src/processes';

function entry(overrides: Partial<ProcessInfo>): ProcessInfo {
  return {
    pid: 100,
    ppid: 1,
    user: 'alice',
    uid: 1000,
    python: '3.14.10',
    version: '3.14',
    remoteDebug: true,
    attachable: true,
    reason: null,
    name: 'python3.14',
    commandLine: '/usr/bin/python3.14 app.py',
    pidInside: null,
    container: null,
    ...overrides,
  };
}

describe('parseProcessJson', () => {
  test('reads every documented key', () => {
    const text = JSON.stringify([
      {
        pid: 4242,
        ppid: 4200,
        user: 'bob',
        uid: 1001,
        python: '3.14.10',
        version: '3.14',
        remoteDebug: true,
        attachable: true,
        reason: null,
        name: 'server.py',
        commandLine: 'python3.14 server.py --port 8000',
      },
      {
        pid: 7,
        user: 'root',
        uid: 0,
        python: null,
        version: null,
        remoteDebug: null,
        attachable: false,
        reason: 'not a Python process',
        name: 'sshd',
        commandLine: 'sshd: /usr/sbin/sshd -D',
      },
    ]);
    const [server, sshd] = parseProcessJson(text);
    assert.deepEqual(server, {
      pid: 4242,
      ppid: 4200,
      user: 'bob',
      uid: 1001,
      python: '3.14.10',
      version: '3.14',
      remoteDebug: true,
      attachable: true,
      reason: null,
      name: 'server.py',
      commandLine: 'python3.14 server.py --port 8000',
      pidInside: null,
      container: null,
    });
    assert.equal(sshd.attachable, false);
    assert.equal(sshd.reason, 'not a Python process');
    assert.equal(sshd.python, null);
    assert.equal(sshd.ppid, null, 'an entry without ppid (an older dapattach) has none');
  });

  test('an empty list is fine', () => {
    assert.deepEqual(parseProcessJson('[]\n'), []);
  });

  test('missing optional keys become null or empty, attachable only when true', () => {
    const [only] = parseProcessJson('[{"pid": 9, "attachable": "yes"}]');
    assert.equal(only.user, '');
    assert.equal(only.uid, null);
    assert.equal(only.python, null);
    assert.equal(only.remoteDebug, null);
    assert.equal(only.attachable, false);
    assert.equal(only.commandLine, '');
  });

  test('rejects output that is not JSON, with the parser message', () => {
    assert.throws(
      () => parseProcessJson('Traceback (most recent call last):'),
      (error: unknown) => {
        assert.ok(error instanceof ProcessListError);
        assert.match(error.message, /not JSON/);
        return true;
      },
    );
  });

  test('rejects a JSON object instead of an array', () => {
    assert.throws(() => parseProcessJson('{"pid": 1}'), /JSON array/);
  });

  test('names the entry whose pid is bad', () => {
    assert.throws(() => parseProcessJson('[{"pid": 1}, {"pid": "2"}]'), /entry 1 .* "pid"/);
    assert.throws(() => parseProcessJson('[{"pid": -3}]'), /entry 0/);
    assert.throws(() => parseProcessJson('[{"pid": 1.5}]'), /entry 0/);
    assert.throws(() => parseProcessJson('[null]'), /entry 0 .* not an object/);
  });
});

describe('sortProcesses', () => {
  test('attachable Python first, then other Python, then the rest; by name then pid', () => {
    const processes = [
      entry({ pid: 1, name: 'bash', python: null, version: null, commandLine: '-bash', attachable: false }),
      entry({ pid: 50, name: 'worker', attachable: false, reason: 'remote debugging is disabled' }),
      entry({ pid: 30, name: 'Web', commandLine: 'python3.14 web.py' }),
      entry({ pid: 20, name: 'api' }),
      entry({ pid: 10, name: 'api' }),
    ];
    assert.deepEqual(
      sortProcesses(processes).map((p) => p.pid),
      [10, 20, 30, 50, 1],
    );
  });

  test('does not change its input', () => {
    const processes = [entry({ pid: 2, name: 'b' }), entry({ pid: 1, name: 'a' })];
    sortProcesses(processes);
    assert.deepEqual(
      processes.map((p) => p.pid),
      [2, 1],
    );
  });

  test('a ps-fallback entry counts as Python from its command line alone', () => {
    const [first] = sortProcesses([
      entry({ pid: 1, name: 'a', python: null, version: null, commandLine: 'cat', attachable: false }),
      entry({ pid: 2, name: 'z', python: null, version: null, commandLine: '/venv/bin/python -m app' }),
    ]);
    assert.equal(first.pid, 2);
  });
});

describe('containers', () => {
  test('reads the pid inside and the container of a containerised process', () => {
    const id = 'a'.repeat(64);
    const [inside, plain] = parseProcessJson(
      JSON.stringify([
        { pid: 5120, pidInside: 1, container: { runtime: 'docker', id, name: 'orders-worker' } },
        { pid: 77, pidInside: 77, container: null },
      ]),
    );
    assert.equal(inside.pidInside, 1);
    assert.deepEqual(inside.container, { runtime: 'docker', id, name: 'orders-worker' });
    assert.equal(plain.pidInside, null);
    assert.equal(plain.container, null);
  });

  test('a row says the pid inside and the container, so "worker in container X" can be typed', () => {
    const named = toRow(
      entry({
        pid: 5120,
        pidInside: 1,
        container: { runtime: 'podman', id: 'b'.repeat(64), name: 'orders' },
      }),
    );
    assert.equal(named.description, 'pid 5120 (1 inside) · container orders · Python 3.14.10 · alice');
    const unnamed = toRow(
      entry({ pid: 9, container: { runtime: 'docker', id: 'c'.repeat(64), name: null } }),
    );
    assert.equal(unnamed.description, `pid 9 · container ${'c'.repeat(12)} · Python 3.14.10 · alice`);
  });
});

describe('toRow', () => {
  test('shows pid, version and user, command line as detail', () => {
    const row = toRow(
      entry({ pid: 4242, name: 'server.py', user: 'bob', commandLine: 'python3.14 server.py' }),
    );
    assert.equal(row.label, 'server.py');
    assert.equal(row.description, 'pid 4242 · Python 3.14.10 · bob');
    assert.equal(row.detail, 'python3.14 server.py');
    assert.equal(row.pid, 4242);
    assert.equal(row.attachable, true);
  });

  test('says why a process cannot be attached', () => {
    const row = toRow(
      entry({
        pid: 5,
        attachable: false,
        reason: 'remote debugging is disabled (PYTHON_DISABLE_REMOTE_DEBUG)',
      }),
    );
    assert.match(row.description, /cannot attach: remote debugging is disabled/);
    assert.equal(row.attachable, false);
  });

  test('falls back to major.minor, and to placeholders for empty name and command line', () => {
    const row = toRow(entry({ pid: 77, python: null, version: '3.15', name: '', commandLine: '', user: '' }));
    assert.equal(row.label, 'process 77');
    assert.equal(row.description, 'pid 77 · Python 3.15');
    assert.equal(row.detail, '(no command line)');
  });

  test('cuts a very long command line', () => {
    const row = toRow(entry({ commandLine: `python3.14 ${'x'.repeat(100_000)}` }));
    assert.equal(Array.from(row.detail).length, 300);
    assert.ok(row.detail.endsWith('…'));
  });

  test('toRows orders rows like sortProcesses', () => {
    const rows = toRows([
      entry({ pid: 3, name: 'c', python: null, version: null, commandLine: 'c', attachable: false }),
      entry({ pid: 4, name: 'd' }),
    ]);
    assert.deepEqual(
      rows.map((r) => r.pid),
      [4, 3],
    );
  });
});

describe('toRows groups workers under their master', () => {
  const master = entry({ pid: 4700, ppid: 1, name: 'gunicorn', commandLine: 'gunicorn app:app' });
  const workers = [4713, 4711, 4712].map((pid) =>
    entry({ pid, ppid: 4700, name: 'gunicorn', commandLine: 'gunicorn app:app' }),
  );

  test('each master is followed by its workers, indented, by pid', () => {
    const other = entry({ pid: 10, ppid: 1, name: 'aaa' });
    const rows = toRows([...workers, other, master]);
    assert.deepEqual(
      rows.map((row) => [row.pid, row.depth]),
      [
        [10, 0],
        [4700, 0],
        [4711, 1],
        [4712, 1],
        [4713, 1],
      ],
    );
    assert.equal(rows[1].label, 'gunicorn');
    assert.match(rows[1].description, /3 child processes/);
    assert.equal(rows[2].label, '└ gunicorn');
    assert.match(rows[2].description, /^pid 4711 · Python 3\.14\.10 · alice · child of 4700$/);
  });

  test('grandchildren go one level deeper', () => {
    const forkserver = entry({ pid: 4701, ppid: 4700, name: 'python3.14' });
    const worker = entry({ pid: 4702, ppid: 4701, name: 'python3.14' });
    const rows = toRows([worker, forkserver, master]);
    assert.deepEqual(
      rows.map((row) => [row.pid, row.depth]),
      [
        [4700, 0],
        [4701, 1],
        [4702, 2],
      ],
    );
    assert.equal(rows[2].label, '\u2003└ python3.14');
  });

  test('a child whose parent is not listed stands on its own', () => {
    const rows = toRows([entry({ pid: 20, ppid: 19 }), entry({ pid: 21, ppid: null })]);
    assert.deepEqual(
      rows.map((row) => row.depth),
      [0, 0],
    );
  });

  test('a worker that cannot be attached still shows under its master', () => {
    const refused = entry({
      pid: 4714,
      ppid: 4700,
      attachable: false,
      reason: 'remote debugging is disabled',
    });
    const rows = toRows([refused, master]);
    assert.deepEqual(
      rows.map((row) => [row.pid, row.depth, row.attachable]),
      [
        [4700, 0, true],
        [4714, 1, false],
      ],
    );
  });

  test('stale data with a loop still lists every process once', () => {
    const rows = toRows([entry({ pid: 1, ppid: 2 }), entry({ pid: 2, ppid: 1 })]);
    assert.deepEqual(rows.map((row) => row.pid).sort(), [1, 2]);
  });
});

describe('shorten', () => {
  test('never splits a surrogate pair', () => {
    const text = '🐍'.repeat(10);
    assert.equal(shorten(text, 5), '🐍🐍🐍🐍…');
    assert.equal(shorten(text, 10), text);
  });
});

describe('pythonExecutable', () => {
  const cases: [string, string | undefined, string | null][] = [
    ['/usr/bin/python3.14 app.py', 'python3.14', '3.14'],
    ['python3 -m http.server', 'python3', null],
    ['python', 'python', null],
    ['/opt/py315/bin/python3.15t -X gil=0 x.py', 'python3.15t', '3.15'],
    ['/home/me/my project/.venv/bin/python worker.py', 'python', null],
    ['bash -c python3.14 x.py', undefined, null],
    ['/usr/bin/pythonista', undefined, null],
    ['/usr/lib/python3.14/site-packages/tool', undefined, null],
    ['', undefined, null],
  ];
  for (const [commandLine, name, version] of cases) {
    test(JSON.stringify(commandLine), () => {
      const found = pythonExecutable(commandLine);
      assert.equal(found?.name, name);
      if (found !== undefined) {
        assert.equal(found.version, version);
      }
    });
  }
});

describe('parsePsOutput', () => {
  test('reads pid, user and the whole command line', () => {
    const text = [
      '      1       0 root     /sbin/init splash',
      '   4242       1 alice    /usr/bin/python3.14 server.py --port 8000',
      '',
    ].join('\n');
    const [init, server] = parsePsOutput(text);
    assert.equal(init.pid, 1);
    assert.equal(init.ppid, 0);
    assert.equal(server.ppid, 1);
    assert.equal(init.user, 'root');
    assert.equal(init.name, 'init');
    assert.equal(init.commandLine, '/sbin/init splash');
    assert.equal(init.attachable, false);
    assert.equal(init.reason, 'not a Python process');
    assert.equal(server.pid, 4242);
    assert.equal(server.name, 'python3.14');
    assert.equal(server.version, '3.14');
    assert.equal(server.python, null);
    assert.equal(server.attachable, true);
    assert.equal(server.commandLine, '/usr/bin/python3.14 server.py --port 8000');
  });

  test('keeps inner runs of spaces, and spaces in paths', () => {
    const [p] = parsePsOutput(' 12 1 bob /srv/my app/.venv/bin/python3.14   "a  b".py  --name "x   y"\n');
    assert.equal(p.commandLine, '/srv/my app/.venv/bin/python3.14   "a  b".py  --name "x   y"');
    assert.equal(p.name, 'python3.14');
    assert.equal(p.attachable, true);
  });

  test('keeps unicode in users and arguments', () => {
    const [p] = parsePsOutput('  99 1 josé     python3.14 /home/josé/données/脚本.py 🐍\n');
    assert.equal(p.user, 'josé');
    assert.equal(p.commandLine, 'python3.14 /home/josé/données/脚本.py 🐍');
  });

  test('reads a very long command line whole', () => {
    const args = Array.from({ length: 20_000 }, (_, i) => `--opt${i}=v`).join(' ');
    const [p] = parsePsOutput(`  5 1 alice python3.14 job.py ${args}\n`);
    assert.equal(p.commandLine, `python3.14 job.py ${args}`);
    assert.equal(p.name, 'python3.14');
  });

  test('accepts a process with empty args', () => {
    const [p] = parsePsOutput('  321 1 daemon\n  322 1 daemon   \n');
    assert.equal(p.pid, 321);
    assert.equal(p.user, 'daemon');
    assert.equal(p.commandLine, '');
    assert.equal(p.name, '');
    assert.equal(p.attachable, false);
    assert.equal(parsePsOutput('  322 1 daemon   \n')[0].commandLine, '');
  });

  test('shows kernel threads by their bracketed name', () => {
    const [p] = parsePsOutput('    2 0 root     [kthreadd]\n');
    assert.equal(p.name, '[kthreadd]');
  });

  test('handles CRLF line ends and skips lines that are not processes', () => {
    const processes = parsePsOutput('  PID PPID USER ARGS\r\n  10 1 root sleep 5\r\n\r\ngarbage\r\n');
    assert.deepEqual(
      processes.map((p) => [p.pid, p.commandLine]),
      [[10, 'sleep 5']],
    );
  });

  test('empty output gives no processes', () => {
    assert.deepEqual(parsePsOutput(''), []);
  });
});
