// Event Grid: the custom topic Vigil publishes its own events to (CloudEvents 1.0, key auth off, reached over its
// private endpoint unless the environment is public), and the storage account's system topic that raises
// Microsoft.Storage.BlobCreated. Both have identities so they can dead-letter into Blob Storage without keys.
// Their subscriptions are in eventgrid-subscriptions.bicep, deployed once the functions exist.
@description('Azure region of both topics.')
param location string

@description('Name of the custom topic.')
param topicName string

@description('Name of the storage account whose events the system topic raises.')
param storageAccountName string

@description('Allow publishing from public networks (dev only).')
param publicNetworkAccess bool

@description('Log Analytics workspace for delivery and publish failures and metrics.')
param workspaceId string

@description('Tags for every resource.')
param tags object

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/topics@2024-06-01-preview' = {
  name: topicName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    minimumTlsVersionAllowed: '1.2'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
  }
}

resource storageTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: '${storageAccountName}-events'
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource topicDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: topic
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

resource storageTopicDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: storageTopic
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

output topicId string = topic.id
output endpoint string = topic.properties.endpoint
output topicPrincipalId string = topic.identity.principalId
output storageTopicName string = storageTopic.name
output storageTopicPrincipalId string = storageTopic.identity.principalId
