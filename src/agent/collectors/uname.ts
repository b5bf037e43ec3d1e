import os from 'node:os';
import { join } from 'node:path';
import { gauge } from './family.js';
import type { CollectorFactory } from './types.js';
import { readText } from './read-text.js';

/** What uname(2) reports for domainname when none is set. */
const NO_DOMAIN = '(none)';

/** node_uname_info: node's os module is uname(2) of the agent's own UTS namespace, like node_exporter's. */
export const createUnameCollector: CollectorFactory = (paths) => ({
  name: 'uname',
  async collect(signal) {
    let domainname = NO_DOMAIN;
    try {
      domainname = (await readText(join(paths.proc, 'sys', 'kernel', 'domainname'), signal)).trim() || NO_DOMAIN;
    } catch (err) {
      if (signal.aborted) throw err;
    }
    const labels = {
      sysname: os.type(),
      release: os.release(),
      version: os.version(),
      machine: os.machine(),
      nodename: os.hostname(),
      domainname,
    };
    return [gauge('node_uname_info', 'Labeled system information as provided by the uname system call.', [{ labels, value: 1 }])];
  },
});
