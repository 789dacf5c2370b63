/** `tsplay schema ROLE`: the JSON Schema of a role's arguments, for editors. */
import { resolve } from 'node:path';
import { findRolePath, shippedRolesDir } from '../roles/loader.js';
import * as argspec from '../argspec/index.js';
import { EXIT, UserError } from '../util/errors.js';

export async function printRoleSchema(role: string, entryPoint: string): Promise<number> {
  const cwd = process.cwd();
  let found = findRolePath(role, cwd, [resolve(cwd, 'roles')]);
  const shipped = shippedRolesDir();
  if (!found.path && shipped && !role.includes('/')) {
    const again = findRolePath(role, cwd, [shipped]);
    found = { path: again.path, searched: [...found.searched, shipped] };
  }
  if (!found.path) throw new UserError(`the role '${role}' was not found in ${found.searched.join(':')}`);
  const specs = await argspec.loadRoleArgumentSpecs(found.path);
  if (!specs) throw new UserError(`the role '${role}' (${found.path}) has no meta/argument_specs`);
  process.stdout.write(JSON.stringify(argspec.roleArgumentsJsonSchema(specs, entryPoint), null, 2) + '\n');
  return EXIT.ok;
}
