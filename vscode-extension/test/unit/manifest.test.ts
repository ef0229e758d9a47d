import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DEBUG_TYPE, PICK_PROCESS, PICK_PROCESS_COMMAND } from '../../src/configuration';
import { initialConfigurations } from '../../src/initialConfigurations';
import { EXTENSION_DIR } from '../support/environment';

interface Debugger {
  type: string;
  label: string;
  variables: Record<string, string>;
  initialConfigurations: unknown[];
  configurationSnippets: { label: string; body: Record<string, unknown> }[];
  configurationAttributes: {
    attach: { required: string[]; properties: Record<string, { default?: unknown }> };
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as {
  main: string;
  contributes: {
    debuggers: Debugger[];
    commands: { command: string }[];
    breakpoints: { language: string }[];
  };
};
const [debuggerContribution] = manifest.contributes.debuggers;

describe('package.json contributions match the code', () => {
  test('one attach-only debugger of type dapattach, labelled for the menu', () => {
    assert.equal(manifest.contributes.debuggers.length, 1);
    assert.equal(debuggerContribution.type, DEBUG_TYPE);
    assert.equal(debuggerContribution.label, 'Python (dapattach)');
    assert.deepEqual(Object.keys(debuggerContribution.configurationAttributes), ['attach']);
    assert.equal(manifest.main, './dist/extension.js');
  });

  test('every documented attribute is declared, processId required, defaults as the provider fills them', () => {
    const { required, properties } = debuggerContribution.configurationAttributes.attach;
    assert.deepEqual(required, ['processId']);
    assert.deepEqual(Object.keys(properties).sort(), [
      'asyncioTasks',
      'justMyCode',
      'logToFile',
      'pathMappings',
      'processId',
      'python',
      'redirectOutput',
      'showReturnValue',
      'stopAll',
      'stoppedTimeout',
      'subProcess',
      'timeout',
    ]);
    assert.equal(properties.justMyCode.default, true);
    assert.equal(properties.showReturnValue.default, true);
    assert.equal(properties.logToFile.default, false);
    assert.equal(properties.stopAll.default, true);
    assert.equal(properties.asyncioTasks.default, true);
    assert.equal(properties.redirectOutput.default, true);
    assert.equal(properties.subProcess.default, true);
    assert.equal(properties.processId.default, PICK_PROCESS);
  });

  test('breakpoints can be set in Python files even without the Python extension installed', () => {
    assert.ok(manifest.contributes.breakpoints.some((b) => b.language === 'python'));
  });

  test('initial configurations are the ones the provider offers', () => {
    assert.deepEqual(debuggerContribution.initialConfigurations, initialConfigurations());
  });

  test('snippets: attach to a PID, without stopping the service, and by picking', () => {
    const labels = debuggerContribution.configurationSnippets.map((s) => s.label);
    assert.deepEqual(labels, [
      'Python (dapattach): Attach to PID',
      'Python (dapattach): Attach without stopping the service',
      'Python (dapattach): Attach by picking a process',
    ]);
    for (const snippet of debuggerContribution.configurationSnippets) {
      assert.equal(snippet.body.type, DEBUG_TYPE);
      assert.equal(snippet.body.request, 'attach');
    }
    const [, nonStop] = debuggerContribution.configurationSnippets;
    assert.equal(nonStop.body.stopAll, false, 'the service snippet attaches in non-stop mode');
    assert.equal(nonStop.body.processId, '\\${command:dapattach.pickProcess}');
  });

  test('the picker command is contributed and exposed as a variable', () => {
    assert.ok(manifest.contributes.commands.some((c) => c.command === PICK_PROCESS_COMMAND));
    assert.equal(debuggerContribution.variables.pickProcess, PICK_PROCESS_COMMAND);
    assert.equal(PICK_PROCESS, `\${command:${PICK_PROCESS_COMMAND}}`);
  });
});
