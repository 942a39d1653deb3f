// Least-privilege access for the identities, each grant on the narrowest scope that works: the scoring app reads
// packages and the registry and writes predictions; the control app manages the registry and audit log, is the only
// writer of the models container (packages arrive through its POST /models/{name}/packages route, which records
// the caller's Entra principal as the uploader, ADR 0010), stores evaluation and retraining datasets, reads outcome
// files, reads batch input files and deletes them once retention has passed, writes batch output, monitoring
// reports and audit exports, and publishes events; the model pipeline reads datasets and uploads through that route
// with the app role Models.Upload; the Event Grid topics dead-letter into their own container, where the control
// app also keeps each event one of its functions refused for good (under `refused/`, since the Functions host cannot
// tell Event Grid to dead-letter it). docs/azure.md lists the same grants (AzureTemplatesTest compares them).
@description('Name of the Cosmos DB account.')
param cosmosAccountName string

@description('Name of the storage account with the data containers.')
param storageAccountName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Name of the Event Grid custom topic.')
param topicName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Name of the container registry; empty when the apps run from zip packages.')
param registryName string

@description('Principal ids: an object with scoring, control, pipeline, eventGridTopic and storageTopic.')
param principals object

// Built-in role definitions (Azure RBAC, and the Cosmos DB data-plane role).
var roles = {
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6'
  'EventGrid Data Sender': 'd5a91429-5739-47e2-a06b-3470a27159e7'
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  'Cosmos DB Built-in Data Reader': '00000000-0000-0000-0000-000000000001'
  'Cosmos DB Built-in Data Contributor': '00000000-0000-0000-0000-000000000002'
  'Vigil Data Writer without delete': cosmosWriterRoleName
  'Key Vault Crypto User': '12338af0-0e69-4776-bea7-57ae8d297424'
}

// Cosmos DB, container by container. Nothing either app does removes an item from the registry, the audit log or
// the outcomes (records leave the audit log and the outcomes only by their own ttl, which Cosmos DB applies, not a
// caller), so those containers are granted a role that cannot delete: a stolen app identity cannot take a record
// out of the audit log.
// The only deletes are the retention purge's, in `predictions`, by the control app. The scoring app records refused
// requests and explanation reads in the audit log, reads the registry and writes predictions and request statistics;
// it never reads outcomes. It only reads the registry, so it holds the built-in reader role there: the app that faces
// the callers cannot rewrite a deployment, a version's stage or an approval if its identity is stolen.
var cosmosDatabase = 'vigil'
var cosmosWriterRoleName = guid(cosmosAccountName, 'vigil-data-writer-without-delete')
var cosmosGrants = [
  { principal: 'scoring', role: 'Cosmos DB Built-in Data Reader', container: 'models' }
  { principal: 'scoring', role: 'Vigil Data Writer without delete', container: 'audit' }
  { principal: 'scoring', role: 'Vigil Data Writer without delete', container: 'predictions' }
  { principal: 'control', role: 'Vigil Data Writer without delete', container: 'models' }
  { principal: 'control', role: 'Vigil Data Writer without delete', container: 'audit' }
  { principal: 'control', role: 'Vigil Data Writer without delete', container: 'outcomes' }
  { principal: 'control', role: 'Cosmos DB Built-in Data Contributor', container: 'predictions' }
]

// The control app deletes in `outcomes` too: the retention run removes the outcome files written before its cut-off.
var blobGrants = [
  { principal: 'scoring', role: 'Storage Blob Data Reader', container: 'models' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'models' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'datasets' }
  { principal: 'scoring', role: 'Storage Blob Data Reader', container: 'packages' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'packages' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'outcomes' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'monitoring' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'audit-exports' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'batch-input' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'batch-output' }
  { principal: 'pipeline', role: 'Storage Blob Data Reader', container: 'datasets' }
  { principal: 'eventGridTopic', role: 'Storage Blob Data Contributor', container: 'event-deadletter' }
  { principal: 'storageTopic', role: 'Storage Blob Data Contributor', container: 'event-deadletter' }
  { principal: 'control', role: 'Storage Blob Data Contributor', container: 'event-deadletter' }
]

// Both apps read the pseudonymisation key (keyvault.bicep creates it before these grants) and no other secret: the
// grant is on that secret alone, so a secret added to the vault later is not readable by either identity.
var secretGrants = [
  { principal: 'scoring', role: 'Key Vault Secrets User', secret: 'pseudonymisation-key' }
  { principal: 'control', role: 'Key Vault Secrets User', secret: 'pseudonymisation-key' }
]

// The control app signs audit evidence with the `audit-signing` key (sign and read the public key only), on that
// key alone: the private key never leaves Key Vault.
var signingKeyGrants = [
  { principal: 'control', role: 'Key Vault Crypto User', key: 'audit-signing' }
]

var topicGrants = [
  { principal: 'control', role: 'EventGrid Data Sender' }
]

var insightsGrants = [
  { principal: 'scoring', role: 'Monitoring Metrics Publisher' }
  { principal: 'control', role: 'Monitoring Metrics Publisher' }
]

var registryGrants = [
  { principal: 'scoring', role: 'AcrPull' }
  { principal: 'control', role: 'AcrPull' }
]

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = {
  name: cosmosAccountName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for g in blobGrants: {
  parent: blobService
  name: g.container
}]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = [for g in secretGrants: {
  parent: vault
  name: g.secret
}]

resource signingKeys 'Microsoft.KeyVault/vaults/keys@2023-07-01' existing = [for g in signingKeyGrants: {
  parent: vault
  name: g.key
}]

resource signingKeyAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (g, i) in signingKeyGrants: {
  name: guid(signingKeys[i].id, principals[g.principal], roles[g.role])
  scope: signingKeys[i]
  properties: {
    principalId: principals[g.principal]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[g.role])
  }
}]

resource topic 'Microsoft.EventGrid/topics@2024-06-01-preview' existing = {
  name: topicName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (!empty(registryName)) {
  name: empty(registryName) ? 'unused' : registryName
}

// Everything the adapters call but delete: point reads, queries (readAllItems and readMany run as queries), creates,
// and the conditional replaces and upserts of claims, heads and counters. Cosmos DB's data-plane roles have no
// notDataActions, so the list is the whole grant.
resource cosmosWriterRole 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions@2024-05-15' = {
  parent: cosmos
  name: cosmosWriterRoleName
  properties: {
    roleName: 'Vigil Data Writer without delete'
    type: 'CustomRole'
    assignableScopes: [ '${cosmos.id}/dbs/${cosmosDatabase}' ]
    permissions: [
      {
        dataActions: [
          'Microsoft.DocumentDB/databaseAccounts/readMetadata'
          'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/executeQuery'
          'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read'
          'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create'
          'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/replace'
          'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/upsert'
        ]
      }
    ]
  }
}

resource cosmosAssignments 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = [for g in cosmosGrants: {
  parent: cosmos
  name: guid(cosmos.id, principals[g.principal], roles[g.role], g.container)
  dependsOn: [ cosmosWriterRole ]
  properties: {
    principalId: principals[g.principal]
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${roles[g.role]}'
    scope: '${cosmos.id}/dbs/${cosmosDatabase}/colls/${g.container}'
  }
}]

resource blobAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (g, i) in blobGrants: {
  name: guid(containers[i].id, principals[g.principal], roles[g.role])
  scope: containers[i]
  properties: {
    principalId: principals[g.principal]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[g.role])
  }
}]

resource secretAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (g, i) in secretGrants: {
  name: guid(secrets[i].id, principals[g.principal], roles[g.role])
  scope: secrets[i]
  properties: {
    principalId: principals[g.principal]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[g.role])
  }
}]

resource topicAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for g in topicGrants: {
  name: guid(topic.id, principals[g.principal], roles[g.role])
  scope: topic
  properties: {
    principalId: principals[g.principal]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[g.role])
  }
}]

// Application Insights refuses telemetry that is not sent with Entra ID (local auth is off): without this role
// the apps' metrics and spans would be dropped.
resource insightsAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for g in insightsGrants: {
  name: guid(insights.id, principals[g.principal], roles[g.role])
  scope: insights
  properties: {
    principalId: principals[g.principal]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[g.role])
  }
}]

resource registryAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for g in registryGrants: if (!empty(registryName)) {
  name: guid(registry.id, principals[g.principal], roles[g.role])
  scope: registry
  properties: {
    principalId: principals[g.principal]
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles[g.role])
  }
}]
