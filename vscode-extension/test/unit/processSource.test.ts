import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listProcesses } from '../../src/processSource';
import { startTarget, type RunningTarget } from '../support/target';

describe('listProcesses (runs real commands against a real target)', () => {
  let target: RunningTarget;
  before(async () => {
    target = await startTarget('loop_target.py');
  });
  after(async () => {
    await target.stop();
  });

  test('falls back to ps when the interpreter is missing, and says why', async () => {
    const listing = await listProcesses('/nonexistent/python3.14');
    assert.match(listing.warning ?? '', /`\/nonexistent\/python3\.14 -m dapattach ps --json` failed/);
    const found = listing.processes.find((p) => p.pid === target.pid);
    assert.ok(found, `pid ${target.pid} is not in the ps listing`);
    assert.equal(found.name, 'python3.14');
    assert.equal(found.version, '3.14');
    assert.equal(found.attachable, true);
    assert.match(found.commandLine, /loop_target\.py$/);
  });

  test('with no interpreter at all it still lists processes from ps', async () => {
    const listing = await listProcesses(undefined);
    assert.match(listing.warning ?? '', /no Python ≥ 3\.14 was found/);
    assert.ok(listing.processes.some((p) => p.pid === process.pid));
  });
});
