// The webhook receiver of the Compose suite: Alertmanager posts its notifications here
// (alertmanager/alertmanager.yml's receiver `default`, http://alert-webhook:5001/alerts) and the
// test reads back what arrived. Runs in a container of the test stack on the Node.js base image.
//   POST /alerts    a notification (Alertmanager's webhook JSON); 400 for anything else
//   GET  /received  every notification so far, oldest first, as a JSON array
//   GET  /healthz   200
import { createServer } from 'node:http';

const MAX_BODY_BYTES = 1 << 20;
const MAX_KEPT = 1000;
const received = [];

createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return void res.end('ok\n');
  if (req.method === 'GET' && req.url === '/received') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(received));
  }
  if (req.method !== 'POST' || req.url !== '/alerts') return void res.writeHead(404).end();
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!Array.isArray(body.alerts)) throw new Error('no alerts array');
      received.push({ at: new Date().toISOString(), ...body });
      if (received.length > MAX_KEPT) received.shift();
      console.log(`notification: ${body.status} ${body.groupLabels?.alertname} (${body.alerts.length} alerts)`);
      res.end('ok\n');
    } catch (err) {
      console.log(`bad notification: ${err.message}`);
      res.writeHead(400).end(`${err.message}\n`);
    }
  });
}).listen(5001, () => console.log('webhook recorder on :5001'));
