#!/usr/bin/env node
// Offline JSON Schema validation for the tests (no network):
//   node validate.js openlineage FILE  FILE holds OpenLineage events, one JSON
//                                      document a line; each must be a valid
//                                      RunEvent (spec 2-0-2), and each dataset's
//                                      columnLineage facet valid against its own
//                                      schema (1-2-0)
//   node validate.js sarif FILE        FILE is a SARIF 2.1.0 log
// Prints "valid: N documents" and exits 0, or prints every error and exits 1.
'use strict';
const fs = require('fs');
const path = require('path');

function loadJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function report(errors, count) {
  if (errors.length > 0) {
    for (const e of errors)
      console.error(e);
    process.exit(1);
  }
  console.log(`valid: ${count} documents`);
}

function openlineage(file) {
  const Ajv2020 = require('ajv/dist/2020');
  const addFormats = require('ajv-formats');
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const dir = path.join(__dirname, 'openlineage');
  const core = loadJson(path.join(dir, 'OpenLineage-2-0-2.json'));
  const facet = loadJson(path.join(dir, 'ColumnLineageDatasetFacet-1-2-0.json'));
  ajv.addSchema(core);
  ajv.addSchema(facet);
  const runEvent = ajv.getSchema(core.$id + '#/$defs/RunEvent');
  const facets = ajv.getSchema(facet.$id);
  const errors = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    const event = JSON.parse(line);
    const where = `event ${i + 1} (${event.job && event.job.name})`;
    if (!runEvent(event))
      errors.push(`${where}: ${ajv.errorsText(runEvent.errors)}`);
    for (const dataset of [...(event.inputs || []), ...(event.outputs || [])]) {
      if (dataset.facets === undefined)
        continue;
      if (!facets(dataset.facets))
        errors.push(`${where}, dataset ${dataset.name}: ${ajv.errorsText(facets.errors)}`);
    }
  });
  report(errors, lines.length);
}

function sarif(file) {
  const Ajv4 = require('ajv-draft-04');
  const addFormats = require('ajv-formats');
  const ajv = new Ajv4({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const schema = loadJson(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'));
  const validate = ajv.compile(schema);
  const log = loadJson(file);
  report(validate(log) ? [] : [ajv.errorsText(validate.errors)], 1);
}

const [kind, file] = process.argv.slice(2);
if (kind === 'openlineage' && file)
  openlineage(file);
else if (kind === 'sarif' && file)
  sarif(file);
else {
  console.error('usage: validate.js openlineage|sarif FILE');
  process.exit(2);
}
