// The grammar behind the syntax check requires a type on every `param`, so it cannot read .bicepparam files.
// They are small and regular: this checks each against the template it uses — the `using` target exists, every
// assignment names a declared parameter, every parameter without a default is assigned, and there is one file
// per allowed environment.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, parse, declarations } = require('../bicep.js');

const PARAMETERS = path.join(REPO, 'infra/bicep/parameters');
const paramFiles = fs.readdirSync(PARAMETERS).filter((f) => f.endsWith('.bicepparam'));

function read(file) {
  const source = fs.readFileSync(path.join(PARAMETERS, file), 'utf8');
  const lines = source.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//'));
  const using = /^using\s+'([^']+)'\s*$/.exec(lines[0] ?? '');
  const assigned = [];
  const problems = [];
  let depth = 0;
  for (const line of lines.slice(1)) {
    if (depth === 0) {
      const m = /^param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\S/.exec(line);
      if (m) assigned.push(m[1]);
      else problems.push(`${file}: cannot read '${line.trim()}'`);
    }
    depth += (line.match(/[{[(]/g) ?? []).length - (line.match(/[}\])]/g) ?? []).length;
  }
  if (depth !== 0) problems.push(`${file}: unbalanced brackets`);
  return { using: using?.[1], assigned, problems };
}

test('each .bicepparam uses an existing template and sets only its parameters, all the required ones', () => {
  assert.ok(paramFiles.length > 0);
  for (const file of paramFiles) {
    const { using, assigned, problems } = read(file);
    assert.deepEqual(problems, []);
    assert.ok(using, `${file} starts with using '<template>'`);
    const template = path.resolve(PARAMETERS, using);
    assert.ok(fs.existsSync(template), `${file} uses missing ${using}`);
    const declared = declarations(parse(template)).params;
    const names = new Set(declared.map((p) => p.name));
    assert.deepEqual(assigned.filter((a) => !names.has(a)), [], `${file} sets parameters the template lacks`);
    assert.deepEqual(declared.filter((p) => !p.hasDefault && !assigned.includes(p.name)).map((p) => p.name), [],
      `${file} leaves required parameters unset`);
    assert.equal(new Set(assigned).size, assigned.length, `${file} sets a parameter twice`);
  }
});

test('there is a parameter file for every environment main.bicep allows, and it names that environment', () => {
  const main = fs.readFileSync(path.join(REPO, 'infra/bicep/main.bicep'), 'utf8');
  const allowed = /@allowed\(\[([^\]]*)\]\)\s*param environment string/.exec(main)[1].match(/'([a-z]+)'/g).map((s) => s.slice(1, -1));
  for (const env of allowed) {
    const file = `${env}.bicepparam`;
    assert.ok(paramFiles.includes(file), `missing ${file}`);
    assert.match(fs.readFileSync(path.join(PARAMETERS, file), 'utf8'), new RegExp(`param environment = '${env}'`));
  }
});

test('only a dev environment is public', () => {
  for (const file of paramFiles) {
    const text = fs.readFileSync(path.join(PARAMETERS, file), 'utf8');
    if (!file.startsWith('dev.')) {
      assert.match(text, /param privateNetworking = true/, file);
      assert.match(text, /param lockResources = true/, file);
      assert.match(text, /param lockAuditExportPolicy = true/, file);
    }
  }
});
