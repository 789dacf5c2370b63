/** `-e/--extra-vars` values, read as ansible-playbook reads them: k=v, YAML/JSON, or @file. */
import { resolve } from 'node:path';
import { UserError, EXIT } from '../util/errors.js';
import { isMapping, loadYamlFile, parseYaml } from '../load/yaml.js';
import { parseKv } from '../load/kv.js';
import { assignOwn } from '../util/dict.js';

export function parseExtraVars(values: string[], cwd: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const raw of values) {
    if (!raw) continue;
    let data: unknown;
    if (raw.startsWith('@')) {
      data = loadYamlFile(resolve(cwd, raw.slice(1)));
    } else if (raw[0] === '/' || raw[0] === '.') {
      throw new UserError(`Please prepend extra_vars filename '${raw}' with '@'`, undefined, EXIT.usage);
    } else if (raw[0] === '[' || raw[0] === '{') {
      try {
        data = parseYaml(raw, '<extra vars>');
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        throw new UserError(`-e/--extra-vars '${raw}' is neither valid JSON nor YAML: ${err.message.replace(/^Syntax Error while loading YAML.\s*/, '')}`, undefined, EXIT.usage);
      }
    } else {
      data = parseKv(raw, false);
      delete (data as Record<string, unknown>)._raw_params;
      if (Object.keys(data as object).length === 0) data = null;
    }
    if (!isMapping(data)) {
      throw new UserError(`Invalid extra vars data supplied. '${raw}' could not be made into a dictionary`, undefined, EXIT.usage);
    }
    assignOwn(out, data);
  }
  return out;
}
