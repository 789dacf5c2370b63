/**
 * Keywords Ansible declares as strings (FieldAttribute isa='string'): a list or a mapping there
 * is refused when the playbook loads (exit 4 in Ansible), not passed on to sudo or a task name.
 */
import { UserError, type SourcePos } from '../util/errors.js';
import { posOfKey } from './yaml.js';

const STRING_KEYWORDS = ['name', 'become_user', 'become_exe', 'become_flags', 'remote_user', 'connection', 'delegate_to'] as const;

export function checkStringKeywords(data: Record<string, unknown>, pos: SourcePos): void {
  for (const key of STRING_KEYWORDS) {
    const value = data[key];
    if (value === null || typeof value !== 'object') continue;
    const kind = Array.isArray(value) ? 'AnsibleSequence' : 'AnsibleMapping';
    throw new UserError(
      `The field '${key}' is supposed to be a string type, however the incoming data structure is a <class 'ansible.parsing.yaml.objects.${kind}'>`,
      posOfKey(data, key) ?? pos,
    );
  }
}

/** LoopControl's attributes; Ansible refuses any other key when the playbook loads */
const LOOP_CONTROL_KEYS = new Set(['loop_var', 'index_var', 'label', 'pause', 'extended', 'extended_allitems', 'break_when']);

/**
 * `loop_control` keys and the two that name variables: Ansible fails the task with a Python
 * TypeError for a `loop_var` that is a list; refused here when the playbook loads.
 */
export function checkLoopControl(control: Record<string, unknown>, pos: SourcePos): void {
  for (const key of Object.keys(control)) {
    if (!LOOP_CONTROL_KEYS.has(key)) throw new UserError(`'${key}' is not a valid attribute for a LoopControl`, posOfKey(control, key) ?? pos);
  }
  for (const key of ['loop_var', 'index_var'] as const) {
    const value = control[key];
    if (value !== undefined && typeof value !== 'string') {
      throw new UserError(`The field '${key}' of loop_control is supposed to be a string (a variable name), got ${JSON.stringify(value)}`, posOfKey(control, key) ?? pos);
    }
  }
}
