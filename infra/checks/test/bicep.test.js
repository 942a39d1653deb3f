// Bicep syntax and consistency, without the Bicep CLI: every template parses, every parameter says what it is
// for, every module gets exactly the parameters it declares, every located resource is tagged, every resource
// that can send diagnostics sends them to Log Analytics, and every stateful resource has a delete lock.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  REPO, bicepFiles, parse, parseSource, syntaxErrors, declarations, runtimeValuesInVariableLoops,
} = require('../bicep.js');

const files = bicepFiles().map(parse);
const relative = (file) => path.relative(REPO, file);

// Resource types with diagnostic settings (logs or metrics) that Vigil deploys.
const DIAGNOSABLE = new Set([
  'Microsoft.DocumentDB/databaseAccounts',
  'Microsoft.Storage/storageAccounts',
  'Microsoft.Storage/storageAccounts/blobServices',
  'Microsoft.Storage/storageAccounts/queueServices',
  'Microsoft.KeyVault/vaults',
  'Microsoft.EventGrid/topics',
  'Microsoft.EventGrid/systemTopics',
  'Microsoft.Web/sites',
  'Microsoft.Web/sites/slots',
  'Microsoft.Web/serverfarms',
  'Microsoft.OperationalInsights/workspaces',
  'Microsoft.Insights/components',
  'Microsoft.Network/virtualNetworks',
  'Microsoft.Network/networkSecurityGroups',
  'Microsoft.ContainerRegistry/registries',
]);

test('every .bicep file parses', () => {
  assert.ok(files.length >= 10, `found only ${files.length} Bicep files`);
  assert.deepEqual(files.flatMap(syntaxErrors), []);
});

test('the parser rejects a broken template (the check can fail)', () => {
  const broken = { file: 'broken.bicep', tree: require('tree-sitter') && null };
  const Parser = require('tree-sitter');
  const parser = new Parser();
  parser.setLanguage(require('tree-sitter-bicep'));
  broken.tree = parser.parse("resource r 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n  location: \n}\n");
  assert.notDeepEqual(syntaxErrors(broken), []);
});

test('variables built by a for-expression use only what is known when the deployment starts (BCP182)', () => {
  assert.deepEqual(files.flatMap(runtimeValuesInVariableLoops), []);
});

test('the start-of-deployment check finds a deployed value in a variable loop (the check can fail)', () => {
  const template = parseSource([
    "resource store 'Microsoft.Storage/storageAccounts@2023-05-01' = {",
    "  name: 'x'",
    '}',
    "resource plans 'Microsoft.Web/serverfarms@2023-12-01' = [for i in range(0, 2): {",
    "  name: 'p${i}'",
    '}]',
    'var endpoint = store.properties.primaryEndpoints.queue',
    "var known = [for (a, i) in apps: { plan: plans[i].id, account: store.name, type: store.type }]",
    'var direct = [for a in apps: { queue: store.properties.primaryEndpoints.queue }]',
    'var indexed = [for (a, i) in apps: { kind: plans[i].properties.kind }]',
    'var indirect = [for a in apps: { queue: endpoint }]',
    "var listed = [for a in apps: { key: listKeys(store.id, '2023-05-01').keys[0].value }]",
  ].join('\n'));
  const problems = runtimeValuesInVariableLoops(template).map((p) => p.replace(/^.*? variable /, ''));
  assert.deepEqual(problems, [
    'direct uses store.properties',
    'indexed uses plans[i].properties',
    'indirect uses endpoint (a variable that uses store.properties)',
    "listed uses listKeys(store.id, '2023-05-01')",
  ]);
});

test('every parameter has a @description', () => {
  const missing = files.flatMap(({ file, ...rest }) => declarations({ file, ...rest }).params
    .filter((p) => !p.decorators.includes('description'))
    .map((p) => `${relative(file)}: ${p.name}`));
  assert.deepEqual(missing, []);
});

test('every module gets the parameters it declares, all required ones, and modules from a registry are pinned', () => {
  const problems = [];
  for (const parsed of files) {
    for (const m of declarations(parsed).modules) {
      if (m.target.startsWith('br/')) {
        if (!/^br\/public:avm\/[a-z0-9/-]+:\d+\.\d+\.\d+$/.test(m.target)) problems.push(`${relative(parsed.file)}: ${m.target} is not a pinned Azure Verified Module`);
        continue;
      }
      const target = path.resolve(path.dirname(parsed.file), m.target);
      if (!fs.existsSync(target)) {
        problems.push(`${relative(parsed.file)}: module ${m.symbol} points at missing ${m.target}`);
        continue;
      }
      const declared = declarations(parse(target)).params;
      const names = new Set(declared.map((p) => p.name));
      for (const given of m.params) if (!names.has(given)) problems.push(`${relative(parsed.file)}: module ${m.symbol} passes unknown parameter ${given}`);
      for (const p of declared) if (!p.hasDefault && !m.params.includes(p.name)) problems.push(`${relative(parsed.file)}: module ${m.symbol} misses required parameter ${p.name}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every resource with a location carries tags', () => {
  const untagged = files.flatMap((parsed) => declarations(parsed).resources
    .filter((r) => !r.existing && r.properties.has('location') && !r.properties.has('tags'))
    .map((r) => `${relative(parsed.file)}: ${r.symbol} (${r.type})`));
  assert.deepEqual(untagged, []);
});

test('every resource that has diagnostic settings sends them to Log Analytics', () => {
  const missing = [];
  for (const parsed of files) {
    const { resources } = declarations(parsed);
    const diagnosed = new Set(resources.filter((r) => r.type === 'Microsoft.Insights/diagnosticSettings').map((r) => r.scope));
    for (const r of resources) {
      if (!r.existing && DIAGNOSABLE.has(r.type) && !diagnosed.has(r.symbol)) missing.push(`${relative(parsed.file)}: ${r.symbol} (${r.type})`);
    }
    for (const d of resources.filter((r) => r.type === 'Microsoft.Insights/diagnosticSettings')) {
      const target = d.properties.get('properties');
      if (!target || !/workspaceId:/.test(target.text)) missing.push(`${relative(parsed.file)}: ${d.symbol} has no workspaceId`);
    }
  }
  assert.deepEqual(missing, []);
});

test('every stateful resource has a CanNotDelete lock', () => {
  const unlocked = [];
  for (const parsed of files) {
    const { resources } = declarations(parsed);
    const holdsBlobs = resources.some((r) => !r.existing && r.type === 'Microsoft.Storage/storageAccounts/blobServices/containers');
    const locks = resources.filter((r) => r.type === 'Microsoft.Authorization/locks');
    const locked = new Set(locks.filter((l) => /CanNotDelete/.test(l.properties.get('properties')?.text ?? '')).map((l) => l.scope));
    for (const r of resources.filter((x) => !x.existing)) {
      const stateful = ['Microsoft.DocumentDB/databaseAccounts', 'Microsoft.KeyVault/vaults', 'Microsoft.OperationalInsights/workspaces'].includes(r.type)
        || (r.type === 'Microsoft.Storage/storageAccounts' && holdsBlobs);
      if (stateful && !locked.has(r.symbol)) unlocked.push(`${relative(parsed.file)}: ${r.symbol} (${r.type})`);
    }
  }
  assert.deepEqual(unlocked, []);
});

test('data services turn public network access off unless the environment is public', () => {
  const main = fs.readFileSync(path.join(REPO, 'infra/bicep/main.bicep'), 'utf8');
  for (const module of ['cosmos', 'storage', 'keyVault', 'eventGrid', 'apps']) {
    const block = main.slice(main.indexOf(`module ${module} `));
    assert.match(block.slice(0, block.indexOf('\n}')), /publicNetworkAccess: !privateNetworking/, `module ${module}`);
  }
  for (const [file, pattern] of [
    ['cosmos.bicep', /publicNetworkAccess: publicNetworkAccess \? 'Enabled' : 'Disabled'/],
    ['keyvault.bicep', /publicNetworkAccess: publicNetworkAccess \? 'Enabled' : 'Disabled'/],
    ['eventgrid.bicep', /publicNetworkAccess: publicNetworkAccess \? 'Enabled' : 'Disabled'/],
    ['storage.bicep', /defaultAction: publicNetworkAccess \? 'Allow' : 'Deny'/],
  ]) {
    assert.match(fs.readFileSync(path.join(REPO, 'infra/bicep/modules', file), 'utf8'), pattern, file);
  }
});

// With `vnetRouteAllEnabled` alone the apps' own traffic goes through their subnets, but the platform still pulls their
// images from the registry's public endpoint: the registry's private endpoint would carry no pull.
test('the apps pull their images through their subnets, where the registry has its private endpoint', () => {
  const apps = files.find((f) => f.file.endsWith('functionapps.bicep'));
  const siteProperties = /\nvar siteProperties = \[for \(app, i\) in apps: \{\n([\s\S]*?)\n\}\]\n/.exec(apps.source);
  assert.ok(siteProperties, 'siteProperties in functionapps.bicep');
  assert.match(siteProperties[1], /\n {2}virtualNetworkSubnetId: app\.subnetId\n/);
  assert.match(siteProperties[1], /\n {2}vnetRouteAllEnabled: true\n/);
  assert.match(siteProperties[1], /\n {2}vnetImagePullEnabled: true\n/);
  const main = fs.readFileSync(path.join(REPO, 'infra/bicep/main.bicep'), 'utf8');
  const registryEndpoint = String.raw`\{ name: '\$\{names\.registry\}-registry', `
    + String.raw`resourceId: registry\.outputs\.registryId, groupId: 'registry'`;
  assert.match(main, new RegExp(String.raw`runFromContainerRegistry \? \[\n\s+` + registryEndpoint));
});

// What docs/compliance/hipaa.md's transmission-security and authentication rows promise, held here so that a change
// to a template that drops one fails.
test('transport and sign-in settings: HTTPS and TLS 1.2 only, no local keys, no publishing passwords', () => {
  const read = (file) => fs.readFileSync(path.join(REPO, 'infra/bicep/modules', file), 'utf8');
  const expected = {
    'storage.bicep': [/allowBlobPublicAccess: false/, /allowSharedKeyAccess: false/, /minimumTlsVersion: 'TLS1_2'/,
      /supportsHttpsTrafficOnly: true/],
    'functionapps.bicep': [/allowBlobPublicAccess: false/, /allowSharedKeyAccess: false/, /minimumTlsVersion: 'TLS1_2'/,
      /supportsHttpsTrafficOnly: true/, /httpsOnly: true/, /minTlsVersion: '1\.2'/, /ftpsState: 'Disabled'/],
    'cosmos.bicep': [/disableLocalAuth: true/, /minimalTlsVersion: 'Tls12'/],
    'eventgrid.bicep': [/disableLocalAuth: true/, /minimumTlsVersionAllowed: '1\.2'/],
    'keyvault.bicep': [/enableRbacAuthorization: true/, /enablePurgeProtection: true/],
    'monitoring.bicep': [/features: \{ disableLocalAuth: true \}/, /DisableLocalAuth: true/],
  };
  const missing = [];
  for (const [file, patterns] of Object.entries(expected)) {
    const text = read(file);
    for (const p of patterns) if (!p.test(text)) missing.push(`${file}: ${p}`);
    // Nothing in the same file turns one back on.
    for (const p of [/allowSharedKeyAccess: true/, /disableLocalAuth: false/, /httpsOnly: false/, /TLS1_[01]\b|'1\.[01]'/]) {
      if (p.test(text)) missing.push(`${file}: has ${p}`);
    }
  }
  // FTP and the SCM site's basic authentication are off on every app and its staging slot.
  const apps = files.find((f) => f.file.endsWith('functionapps.bicep'));
  const policies = declarations(apps).resources.filter((r) => r.type.endsWith('/basicPublishingCredentialsPolicies'));
  assert.deepEqual(policies.map((r) => r.type).sort(), ['Microsoft.Web/sites/basicPublishingCredentialsPolicies',
    'Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies']);
  for (const p of policies) {
    if (!/allow: false/.test(p.properties.get('properties')?.text ?? '')) missing.push(`${p.symbol} allows basic auth`);
  }
  assert.match(read('functionapps.bicep'), /var publishingMethods = \[ 'ftp', 'scm' \]/);
  assert.deepEqual(missing, []);
});
