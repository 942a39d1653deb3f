// The Function Apps' Dockerfiles, without a Docker engine: dockerfile-utils' lint finds no problem, the base is
// the official Azure Functions Java 17 image at a fixed tag, and the one COPY takes the folder the Maven build
// stages into the host's script root, with local settings kept out of the build context. (ContainerImageIT
// checks the staged folder itself after `mvn package`.)
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { validate } = require('dockerfile-utils');
const { REPO } = require('../bicep.js');

const APPS = ['scoring', 'control'];

test('the linter flags a broken Dockerfile (the check can fail)', () => {
  assert.notDeepEqual(validate('FROM scratch\nCOPY onlyone\n'), []);
});

for (const app of APPS) {
  const dir = path.join(REPO, 'functions', app);
  const dockerfile = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+\s/.test(l));

  test(`${app}: Dockerfile lints clean`, () => {
    assert.deepEqual(validate(dockerfile, { deprecatedMaintainer: 1, emptyContinuationLine: 1 }).map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
  });

  test(`${app}: official Functions Java 17 base image at a fixed tag, the staged package as the script root`, () => {
    const from = instructions.filter((l) => l.startsWith('FROM '));
    assert.deepEqual(from, ['FROM mcr.microsoft.com/azure-functions/java:4-java17']);
    assert.deepEqual(instructions.filter((l) => /^(ADD|COPY)\s/.test(l)), [`COPY target/azure-functions/vigil-${app}/ /home/site/wwwroot/`]);
    assert.match(dockerfile, /AzureWebJobsScriptRoot=\/home\/site\/wwwroot/);
    const pom = fs.readFileSync(path.join(dir, 'pom.xml'), 'utf8');
    assert.match(pom, new RegExp(`<functionAppName>vigil-${app}</functionAppName>`));
  });

  test(`${app}: the build context holds the staged package only, without local settings`, () => {
    const ignore = fs.readFileSync(path.join(dir, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(ignore, ['*', `!target/azure-functions/vigil-${app}/`, `target/azure-functions/vigil-${app}/local.settings.json`]);
  });
}
