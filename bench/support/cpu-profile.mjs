// Preloaded with NODE_OPTIONS=--import (Node 20 refuses --cpu-prof there). Each SIGUSR2 toggles a CPU profile of this
// process: the first starts one, the next writes it to <WR_CPU_PROFILE_DIR>/<argv>-<pid>-<n>.cpuprofile, and so on.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.WR_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  let running = false;
  let n = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      session.post('Profiler.start');
      running = true;
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(join(dir, `${process.argv.slice(2, 4).join('-')}-${process.pid}-${n++}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
