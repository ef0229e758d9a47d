/** The configurations offered when creating a launch.json; package.json lists the same ones. */
import { DEBUG_TYPE, PICK_PROCESS } from './configuration';

export function initialConfigurations(): {
  type: string;
  request: string;
  name: string;
  [key: string]: unknown;
}[] {
  return [
    {
      type: DEBUG_TYPE,
      request: 'attach',
      name: 'Python (dapattach): pick a process',
      processId: PICK_PROCESS,
      justMyCode: true,
    },
  ];
}
