// Least-privilege data-plane access for the apps' managed identities. The scoring app reads packages and the
// registry and writes predictions; the control app manages the registry, audit log, packages and events.
// The control app is the only writer of the models container (ADR 0007): packages arrive through its
// POST /models/{name}/packages route, which records the caller's Entra principal as the uploader. No person and
// no pipeline identity is given a data-plane write role on the account; they hold the app role Models.Upload.
param cosmosAccountName string
param storageAccountName string
param keyVaultName string
param topicName string
param scoringPrincipalId string
param controlPrincipalId string

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = {
  name: cosmosAccountName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource topic 'Microsoft.EventGrid/topics@2024-06-01-preview' existing = {
  name: topicName
}

// Cosmos DB built-in Data Contributor (data plane).
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource cosmosScoring 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, scoringPrincipalId, cosmosDataContributor)
  properties: {
    principalId: scoringPrincipalId
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    scope: '${cosmos.id}/dbs/vigil'
  }
}

resource cosmosControl 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, controlPrincipalId, cosmosDataContributor)
  properties: {
    principalId: controlPrincipalId
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    scope: '${cosmos.id}/dbs/vigil'
  }
}

resource blobScoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, scoringPrincipalId, storageBlobDataReader)
  scope: storage
  properties: {
    principalId: scoringPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
  }
}

resource blobControl 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, controlPrincipalId, storageBlobDataContributor)
  scope: storage
  properties: {
    principalId: controlPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

resource secretsScoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, scoringPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: scoringPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

resource secretsControl 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, controlPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: controlPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

resource eventsScoring 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, scoringPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    principalId: scoringPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
  }
}

resource eventsControl 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, controlPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    principalId: controlPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
  }
}
