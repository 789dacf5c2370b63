/**
 * How many round trips the SSH transport made in this run, for the benchmark's "round trips per
 * task": each exec channel and each SFTP request waits for the target once. With
 * TSPLAY_SSH_STATS=1 one line goes to stderr as tsplay exits.
 */
const counts = { connections: 0, execChannels: 0, sftpRequests: 0 };
let hooked = false;

function hook(): void {
  if (hooked || process.env.TSPLAY_SSH_STATS !== '1') return;
  hooked = true;
  process.once('exit', () => {
    const trips = counts.execChannels + counts.sftpRequests;
    process.stderr.write(`ssh statistics: ${trips} round trips (${counts.execChannels} exec channels, ${counts.sftpRequests} SFTP requests) over ${counts.connections} connections\n`);
  });
}

export function countSsh(kind: keyof typeof counts): void {
  counts[kind]++;
  hook();
}
