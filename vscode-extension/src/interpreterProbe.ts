/** The real probe for chooseInterpreter: runs the candidate with PROBE_SCRIPT and reads what it prints. */
import { execFile } from 'node:child_process';
import { parseProbeOutput, PROBE_SCRIPT, type ProbeOutcome } from './interpreter';

export function probeInterpreter(command: string, timeoutMs = 10_000): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    execFile(
      command,
      ['-c', PROBE_SCRIPT],
      { encoding: 'utf8', timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error !== null) {
          const code = (error as NodeJS.ErrnoException).code;
          const why =
            code === 'ENOENT'
              ? 'not found'
              : code === 'EACCES'
                ? 'not executable'
                : error.killed
                  ? `did not answer within ${timeoutMs / 1000} s`
                  : stderr.trim().split('\n').pop() || error.message;
          resolve({ found: false, error: why });
          return;
        }
        resolve(
          parseProbeOutput(stdout) ?? { found: false, error: 'it does not behave like a Python interpreter' },
        );
      },
    );
  });
}
