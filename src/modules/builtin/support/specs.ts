/** Option specs shared by the file-like modules (Ansible's add_file_common_args). */
import type { ArgumentSpec } from '../../../argspec/types.js';

export const fileCommonOptions: ArgumentSpec = {
  mode: { type: 'raw' },
  owner: { type: 'str' },
  group: { type: 'str' },
  seuser: { type: 'str' },
  serole: { type: 'str' },
  selevel: { type: 'str' },
  setype: { type: 'str' },
  attributes: { type: 'str', aliases: ['attr'] },
  unsafe_writes: { type: 'bool', default: false },
};
