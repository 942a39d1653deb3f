// Vigil on Azure: Cosmos DB (registry, audit, predictions), Blob Storage (packages, datasets, audit exports),
// Event Grid (Vigil's custom topic and the storage system topic), Key Vault (pseudonymisation key),
// Application Insights, and the two Function Apps with managed identities and Entra ID authentication.
targetScope = 'resourceGroup'

@description('Short environment name: dev, test or prod.')
@allowed([ 'dev', 'test', 'prod' ])
param environment string

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Prefix for resource names (lower-case letters and digits).')
@minLength(3)
@maxLength(11)
param prefix string = 'vigil'

@description('Entra ID tenant that issues tokens for the APIs.')
param tenantId string = subscription().tenantId

@description('Application (client) id of the Vigil API app registration that defines the app roles.')
param apiClientId string

@description('Days a prediction record is kept before Cosmos DB expires it.')
@minValue(30)
param predictionRetentionDays int = 400

@description('Days audit exports stay immutable (WORM) in Blob Storage.')
@minValue(1)
param auditExportImmutabilityDays int = 2555

@description('Premium plan SKU for the scoring app (EP1, EP2 or EP3).')
@allowed([ 'EP1', 'EP2', 'EP3' ])
param scoringPlanSku string = 'EP1'

@description('Always-ready instances of the scoring app, so scoring never waits for a cold start.')
@minValue(1)
param scoringMinimumInstances int = 1

@description('E-mail addresses notified by Vigil\'s alerts (scoring errors and latency, dead letters, gates, canaries, drift, audit).')
param alertEmailAddresses array = []

var suffix = uniqueString(resourceGroup().id, prefix, environment)
var names = {
  cosmos: '${prefix}-cosmos-${environment}-${suffix}'
  storage: take('${prefix}st${environment}${suffix}', 24)
  functionsStorage: take('${prefix}fn${environment}${suffix}', 24)
  keyVault: take('${prefix}-kv-${environment}-${suffix}', 24)
  topic: '${prefix}-events-${environment}'
  logs: '${prefix}-logs-${environment}'
  insights: '${prefix}-ai-${environment}'
  scoringPlan: '${prefix}-scoring-plan-${environment}'
  controlPlan: '${prefix}-control-plan-${environment}'
  scoringApp: '${prefix}-scoring-${environment}-${suffix}'
  controlApp: '${prefix}-control-${environment}-${suffix}'
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    logAnalyticsName: names.logs
    appInsightsName: names.insights
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    accountName: names.cosmos
    predictionRetentionDays: predictionRetentionDays
    zoneRedundant: environment == 'prod'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    accountName: names.storage
    auditExportImmutabilityDays: auditExportImmutabilityDays
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: names.keyVault
    tenantId: tenantId
  }
}

module topic 'modules/eventgrid-topic.bicep' = {
  name: 'eventgrid-topic'
  params: {
    location: location
    topicName: names.topic
  }
}

module apps 'modules/functionapps.bicep' = {
  name: 'functionapps'
  params: {
    location: location
    environment: environment
    names: names
    tenantId: tenantId
    apiClientId: apiClientId
    scoringPlanSku: scoringPlanSku
    scoringMinimumInstances: scoringMinimumInstances
    appInsightsConnectionString: monitoring.outputs.connectionString
    settings: {
      VIGIL_MODE: 'azure'
      VIGIL_PREDICTION_RETENTION_DAYS: string(predictionRetentionDays)
      VIGIL_AZURE_COSMOS_ENDPOINT: cosmos.outputs.endpoint
      VIGIL_AZURE_COSMOS_DATABASE: cosmos.outputs.databaseName
      VIGIL_AZURE_BLOB_ENDPOINT: storage.outputs.blobEndpoint
      VIGIL_AZURE_EVENTGRID_ENDPOINT: topic.outputs.endpoint
      VIGIL_AZURE_KEYVAULT_URI: keyVault.outputs.uri
    }
  }
}

module access 'modules/access.bicep' = {
  name: 'access'
  params: {
    cosmosAccountName: names.cosmos
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    topicName: names.topic
    scoringPrincipalId: apps.outputs.scoringPrincipalId
    controlPrincipalId: apps.outputs.controlPrincipalId
  }
  dependsOn: [ cosmos, storage, keyVault, topic ]
}

module subscriptions 'modules/eventgrid-subscriptions.bicep' = {
  name: 'eventgrid-subscriptions'
  params: {
    location: location
    storageAccountName: names.storage
    topicName: names.topic
    controlAppName: names.controlApp
    scoringAppName: names.scoringApp
    subscriptions: loadJsonContent('event-subscriptions.json')
  }
  dependsOn: [ access ]
}

// Workbooks, alert rules and their action group; the system topic's name is the one eventgrid-subscriptions gives it.
module observability 'modules/observability.bicep' = {
  name: 'observability'
  params: {
    location: location
    prefix: prefix
    environment: environment
    logAnalyticsName: names.logs
    topicName: names.topic
    storageTopicName: '${names.storage}-events'
    alertEmailAddresses: alertEmailAddresses
  }
  dependsOn: [ monitoring, topic, subscriptions ]
}

output scoringUrl string = apps.outputs.scoringUrl
output controlUrl string = apps.outputs.controlUrl
output appInsightsName string = names.insights
