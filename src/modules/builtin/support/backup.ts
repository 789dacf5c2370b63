/** Ansible's backup_local: a copy named PATH.PID.YYYY-MM-DD@HH:MM:SS~ keeping mode, owner and times. */
import type { ModuleContext } from '../../types.js';
import { fail, errnoText } from './failure.js';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export async function backupLocal(ctx: ModuleContext, path: string): Promise<string> {
  const info = await ctx.conn.stat(path, { follow: true, become: ctx.become });
  if (!info) return '';
  const d = new Date();
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}@${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}~`;
  const backup = `${path}.${process.pid}.${stamp}`;
  try {
    const data = await ctx.conn.readFile(path, { become: ctx.become });
    await ctx.conn.writeFile(backup, data, { mode: info.mode, become: ctx.become });
    await ctx.conn.chown(backup, info.uid, info.gid, { become: ctx.become }).catch(() => undefined);
    await ctx.conn.utimes(backup, info.atimeMs, info.mtimeMs, { become: ctx.become });
  } catch (err) {
    fail(`Could not make backup of ${path} to ${backup}: ${errnoText(err)}`);
  }
  return backup;
}
