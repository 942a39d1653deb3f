// The workflow files: each passes the GitHub Actions schema (action-validator), pins every action to a commit
// sha with the release tag beside it, offers choices rather than free text for environments, and never runs two
// deployments of one environment at once; no checkout leaves the job's token behind. Dependabot watches every
// ecosystem the repository pins.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO } = require('../bicep.js');

const WORKFLOWS = path.join(REPO, '.github/workflows');
const workflows = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const validator = path.join(__dirname, '..', 'node_modules', '@action-validator', 'cli', 'cli.mjs');

function validate(file) {
  try {
    execFileSync(process.execPath, [validator, file], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `${path.relative(REPO, file)}: ${e.stdout}${e.stderr}`.slice(0, 2000);
  }
}

test('every workflow passes the GitHub Actions schema', () => {
  assert.ok(workflows.length >= 5);
  assert.deepEqual(workflows.map((f) => validate(path.join(WORKFLOWS, f))).filter(Boolean), []);
});

test('the schema check rejects a broken workflow (the check can fail)', () => {
  const broken = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'wf-')), 'broken.yml');
  fs.writeFileSync(broken, 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n');
  assert.notEqual(validate(broken), null);
});

test('every action is pinned to a full commit sha with its release tag in a comment', () => {
  const loose = [];
  for (const f of workflows) {
    for (const [i, line] of fs.readFileSync(path.join(WORKFLOWS, f), 'utf8').split('\n').entries()) {
      const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
      if (!m || m[1].startsWith('./')) continue;
      if (!/@[0-9a-f]{40}$/.test(m[1]) || !/#\s*v\d+(\.\d+)*/.test(m[2])) loose.push(`${f}:${i + 1} ${m[1]}`);
    }
  }
  assert.deepEqual(loose, []);
});

/**
 * Each checkout step of a workflow with the job it belongs to: its line number, its own lines (the `- uses:` line
 * and those indented deeper), and the whole job's text.
 */
function checkouts(text) {
  const lines = text.split('\n');
  const jobsAt = lines.findIndex((l) => /^jobs:\s*$/.test(l));
  const found = [];
  let jobStart = -1;
  for (let i = jobsAt + 1; i < lines.length; i++) {
    if (/^  [\w-]+:\s*$/.test(lines[i])) jobStart = i;
    const m = /^(\s*)-\s+uses:\s*actions\/checkout@/.exec(lines[i]);
    if (!m) continue;
    let end = i + 1;
    while (end < lines.length && (lines[end].trim() === '' || lines[end].search(/\S/) > m[1].length)) end++;
    let jobEnd = jobStart + 1;
    while (jobEnd < lines.length && !/^  [\w-]+:\s*$/.test(lines[jobEnd])) jobEnd++;
    found.push({ line: i + 1, step: lines.slice(i, end).join('\n'), job: lines.slice(jobStart, jobEnd).join('\n') });
  }
  return found;
}

// A checkout keeps the job's token in .git/config for every later step unless told not to; only a job that pushes
// (git push, with contents: write) needs it, and none does.
const pushes = (job) => /\bgit push\b|contents:\s*write/.test(job);
const keepsToken = ({ step, job }) => !pushes(job) && !/\n\s+persist-credentials: false\n?/.test(`${step}\n`);

test('a checkout keeps no token unless its job pushes', () => {
  const kept = [];
  let count = 0;
  for (const f of workflows) {
    for (const c of checkouts(fs.readFileSync(path.join(WORKFLOWS, f), 'utf8'))) {
      count++;
      if (keepsToken(c)) kept.push(`${f}:${c.line}`);
    }
  }
  assert.ok(count >= 5, `found only ${count} checkouts`);
  assert.deepEqual(kept, []);
});

test('the token check finds a checkout that keeps its token (the check can fail)', () => {
  const text = 'jobs:\n  a:\n    steps:\n      - uses: actions/checkout@x # v4\n      - run: ./test\n'
    + '  b:\n    steps:\n      - uses: actions/checkout@x # v4\n        with:\n          persist-credentials: false\n'
    + '  c:\n    permissions:\n      contents: write\n    steps:\n      - uses: actions/checkout@x # v4\n'
    + '      - run: git push\n  d:\n    steps:\n      - uses: actions/checkout@x # v4\n        with:\n'
    + '          fetch-depth: 0\n      - run: ./test\n';
  assert.deepEqual(checkouts(text).filter(keepsToken).map((c) => c.line), [4, 19]);
});

test('environment inputs are choices and deployments of one environment never overlap', () => {
  for (const f of ['deploy.yml', 'infra.yml', 'model-pipeline.yml']) {
    const text = fs.readFileSync(path.join(WORKFLOWS, f), 'utf8');
    const dispatch = text.slice(text.indexOf('workflow_dispatch:'));
    assert.match(dispatch, /environment:\s*\n\s+description:[^\n]*\n\s+type: choice\n\s+options: \[ dev, test, prod \]/, f);
    assert.match(text, /^concurrency:\n\s+group: [^\n]*inputs\.environment/m, f);
  }
});

test('the deployment goes through the staging slot: deploy, smoke test, swap', () => {
  const text = fs.readFileSync(path.join(WORKFLOWS, 'deploy.yml'), 'utf8');
  const order = ['--slot staging', 'infra/smoke/smoke-test.mjs', 'slot swap', 'uses: ./.github/workflows/infra.yml'];
  const positions = order.map((s) => text.indexOf(s));
  assert.ok(positions.every((p) => p > 0), `deploy.yml lacks one of ${order}`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'deploy, smoke test, swap, subscriptions: in that order');
  // Each app is its own artifact, rooted at its staging folder, downloaded back into the same place.
  for (const app of ['scoring', 'control']) {
    assert.match(text, new RegExp(`name: vigil-${app}\\n\\s+path: functions/${app}/target/azure-functions/vigil-${app}\\n`), app);
  }
});

test('the model pipeline trains inside the network and uploads through the control route', () => {
  const text = fs.readFileSync(path.join(WORKFLOWS, 'model-pipeline.yml'), 'utf8');
  assert.match(text, /runs-on: \[ self-hosted, linux, vigil-vnet/);
  assert.doesNotMatch(text, /upload-artifact|actions\/cache/);
  // The route registers the package as it stores it and answers with the outcome; a refusal fails the job.
  assert.match(text, /--fail-with-body[^\n]*\n[^\n]*\n[^\n]*\/models\/\$MODEL\/packages"/);
  // The dataset's name is free text: it is held to a blob name's characters before anything reads it.
  const fetch = text.slice(text.indexOf('name: Fetch the dataset'));
  assert.ok(fetch.indexOf('exit 1') < fetch.indexOf('az storage blob download'), 'the name is checked before the download');
  assert.doesNotMatch(text, /az storage blob upload/);
});

/**
 * The lines of every `run:` script of a workflow, with their line numbers: a block scalar (`run: |`) is every line
 * indented deeper than the key, a plain one is the rest of its line.
 */
function runScripts(text) {
  const lines = text.split('\n');
  const scripts = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:-\s+)?run:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (!/^[|>][-+]?\s*$/.test(m[2])) {
      scripts.push([i + 1, m[2]]);
      continue;
    }
    const indent = lines[i].search(/\S/);
    for (let j = i + 1; j < lines.length && (lines[j].trim() === '' || lines[j].search(/\S/) > indent); j++) {
      scripts.push([j + 1, lines[j]]);
    }
  }
  return scripts;
}

// Text a dispatcher or a pull request chooses, pasted into a script by an expression, is run as shell; it reaches
// scripts through env: variables instead.
const CALLER_TEXT = /\$\{\{[^}]*\b(inputs\.|github\.event\.|github\.head_ref|github\.ref_name)/;

test('no script has text a caller chose pasted into it by an expression', () => {
  const pasted = [];
  for (const f of workflows) {
    for (const [n, line] of runScripts(fs.readFileSync(path.join(WORKFLOWS, f), 'utf8'))) {
      if (CALLER_TEXT.test(line)) pasted.push(`${f}:${n} ${line.trim()}`);
    }
  }
  assert.deepEqual(pasted, []);
});

test('the script check finds an input pasted into a block or a one-line script (the check can fail)', () => {
  const text = 'jobs:\n  a:\n    steps:\n      - run: echo "${{ inputs.name }}"\n      - name: b\n        run: |\n'
    + '          ok=1\n          az x --name "${{ github.event.pull_request.title }}"\n      - name: c\n'
    + '        env:\n          NAME: ${{ inputs.name }}\n        run: echo "$NAME"\n';
  const found = runScripts(text).filter(([, line]) => CALLER_TEXT.test(line)).map(([n]) => n);
  assert.deepEqual(found, [4, 8]);
});

test('a new pseudonymisation key is made only when the vault says it has none', () => {
  const text = fs.readFileSync(path.join(WORKFLOWS, 'infra.yml'), 'utf8');
  const step = text.slice(text.indexOf('name: Decide what this deployment creates'), text.indexOf('name: What-if'));
  // A look-up that fails for any other reason stops the job rather than deciding that there is no key.
  assert.match(step, /ResourceNotFound\|SecretNotFound/);
  assert.match(step, /else\n\s+echo "::error::Could not tell whether the vault holds the pseudonymisation key[^\n]*\n[^\n]*\n\s+exit 1/);
  assert.doesNotMatch(step, /az resource show[^\n]*&& |az resource show[^\n]*> \/dev\/null 2>&1; then/);
});

test('an infrastructure deployment keeps the image the apps run, never the unbuilt fallback tag', () => {
  const deploy = fs.readFileSync(path.join(WORKFLOWS, 'deploy.yml'), 'utf8');
  const infra = fs.readFileSync(path.join(WORKFLOWS, 'infra.yml'), 'utf8');
  // The deploy workflow builds images tagged with its commit and hands that tag to the infrastructure run.
  assert.match(deploy, /--image "vigil-\$app:\$\{\{ github\.sha \}\}"/);
  assert.match(deploy, new RegExp(String.raw`uses: \./\.github/workflows/infra\.yml\n\s+with:\n(\s+[^\n]*\n)*?`
    + String.raw`\s+image-tag: \$\{\{ inputs\.packaging == 'container' && github\.sha \|\| '' \}\}`));
  // The infrastructure run takes it, or else reads the tag production runs, before the template is deployed.
  assert.match(infra, /workflow_call:\n\s+inputs:\n(\s+[^\n]*\n)*?\s+image-tag:\n/);
  assert.match(infra, /\n\s+IMAGE_TAG: \$\{\{ inputs\.image-tag \}\}\n/);
  const decide = infra.slice(infra.indexOf('name: Decide what this deployment creates'),
    infra.indexOf('name: What-if'));
  assert.match(decide, new RegExp(String.raw`if \[ -z "\$IMAGE_TAG" \]; then[\s\S]*--query linuxFxVersion[\s\S]*`
    + String.raw`echo "IMAGE_TAG=\$\{image##\*:\}" >> "\$GITHUB_ENV"`));
  for (const env of ['dev', 'test', 'prod']) {
    const params = fs.readFileSync(path.join(REPO, `infra/bicep/parameters/${env}.bicepparam`), 'utf8');
    assert.match(params, /param imageTag = readEnvironmentVariable\('IMAGE_TAG'/, env);
  }
});

test('production is deployed, and trained for, from main only, before anything else runs', () => {
  for (const f of ['deploy.yml', 'infra.yml', 'model-pipeline.yml']) {
    const text = fs.readFileSync(path.join(WORKFLOWS, f), 'utf8');
    const guard = new RegExp(String.raw`steps:\n\s+- name: Production runs from main only\n`
      + String.raw`\s+if: inputs\.environment == 'prod' && github\.ref != 'refs/heads/main'\n`
      + String.raw`(\s+[^\n]*\n)*?\s+exit 1\n`);
    assert.match(text, guard, f);
    // It is the first step of its job, and nothing signs in to Azure or builds before it.
    const at = text.search(guard);
    const signsInOrBuilds = /azure\/login|az login|az (deployment|functionapp|acr|storage) |run: \.\/test\b/;
    assert.doesNotMatch(text.slice(0, at), signsInOrBuilds, f);
  }
});

test('Dependabot watches actions, Maven, both npm projects and both images', () => {
  const text = fs.readFileSync(path.join(REPO, '.github/dependabot.yml'), 'utf8');
  const entries = [...text.matchAll(/package-ecosystem: (\S+)\n\s+directory: (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
  const expected = ['github-actions /', 'maven /'];
  for (const dir of ['emulators', 'infra/checks']) {
    assert.ok(fs.existsSync(path.join(REPO, dir, 'package-lock.json')));
    expected.push(`npm /${dir}`);
  }
  for (const app of ['scoring', 'control']) expected.push(`docker /functions/${app}`);
  assert.deepEqual(entries.sort(), expected.sort());
});
