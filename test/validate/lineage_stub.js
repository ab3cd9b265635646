#!/usr/bin/env node
// A stand-in for an OpenLineage HTTP endpoint (Marquez, DataHub), for the
// tests: node lineage_stub.js PORTFILE LOGFILE [REJECT_AFTER]
// Listens on 127.0.0.1 on a port of the system's choosing (written to
// PORTFILE once listening).  Each POST to /api/v1/lineage whose Content-Type
// is application/json and whose body parses as one JSON object is appended to
// LOGFILE as a line {"contentType", "authorization", "event"} and answered 201
// (as Marquez answers); anything else is answered 4xx and logged with an
// "error".  After REJECT_AFTER accepted events, answers 503.  Stops by itself
// after 120 seconds, or on SIGTERM.
'use strict';
const fs = require('fs');
const http = require('http');

const [portFile, logFile, rejectAfter] = process.argv.slice(2);
if (!portFile || !logFile) {
  console.error('usage: lineage_stub.js PORTFILE LOGFILE [REJECT_AFTER]');
  process.exit(2);
}
let accepted = 0;

function log(entry) {
  fs.appendFileSync(logFile, JSON.stringify(entry) + '\n');
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const contentType = req.headers['content-type'] || '';
    const body = Buffer.concat(chunks).toString('utf8');
    const answer = (status, error) => {
      if (error)
        log({ error, method: req.method, url: req.url, contentType });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(error ? JSON.stringify({ error }) : '');
    };
    if (req.method !== 'POST' || req.url !== '/api/v1/lineage')
      return answer(404, 'not POST /api/v1/lineage');
    if (!/^application\/json(;|$)/.test(contentType))
      return answer(415, `content type ${contentType}`);
    let event;
    try {
      event = JSON.parse(body);
    } catch (e) {
      return answer(400, `body is not JSON: ${e.message}`);
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event))
      return answer(400, 'body is not one JSON object');
    if (rejectAfter !== undefined && accepted >= Number(rejectAfter))
      return answer(503, 'stub rejects from now on');
    accepted++;
    log({ contentType, authorization: req.headers.authorization || null, event });
    answer(201);
  });
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
});
setTimeout(() => process.exit(0), 120 * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
