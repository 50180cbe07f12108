/**
 * Preloaded into a measured command (`node --import ./cpu-at-exit.mjs …`): when it exits, writes
 * to `$CPU_REPORT_FILE` its own CPU time and that of its children still running (the job
 * launcher, which outlives it by a moment), in µs, read from /proc (Linux only).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const ticksToUs = 1e6 / 100; // USER_HZ is 100 on Linux

/** utime + stime of every process whose parent is this one, found by scanning /proc. */
function childrenCpuUs() {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After "pid (name) ": state, ppid, …; utime and stime are the 12th and 13th from there.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      total += (Number(fields[11]) + Number(fields[12])) * ticksToUs;
    } catch {
      // Gone already.
    }
  }
  return total;
}

process.on('exit', () => {
  const file = process.env.CPU_REPORT_FILE;
  if (!file) return;
  const own = process.cpuUsage();
  writeFileSync(
    file,
    JSON.stringify({
      cpuUs: own.user + own.system,
      childrenCpuUs: childrenCpuUs(),
      rssBytes: process.memoryUsage.rss(),
    }),
  );
});
