// Vigil on Azure: Cosmos DB (registry, audit, predictions), Blob Storage (packages, datasets, audit exports),
// Event Grid (Vigil's custom topic and the storage system topic), Key Vault (pseudonymisation key),
// Application Insights and Log Analytics, and the two Function Apps with staging slots, user-assigned managed
// identities and Entra ID authentication, all joined by one virtual network with private endpoints.
// docs/azure.md describes the resources and grants; docs/settings.md every app setting.
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

@description('Days a prediction record is kept before Cosmos DB expires it; at most its longest time to live.')
@minValue(30)
@maxValue(24855)
param predictionRetentionDays int = 400

@description('When the control app\'s DriftCheck runs (NCRONTAB, six fields); hourly, five minutes past, by default.')
param driftCheckSchedule string = '0 5 * * * *'

@description('Seconds after a monitoring window\'s end before its prediction log is taken as complete.')
@minValue(1)
@maxValue(86400)
param monitoringSettleSeconds int = 120

@description('Seconds after a monitoring window settled that its check waits and retries; 0: no wait.')
@minValue(0)
@maxValue(2678400)
param monitoringAwaitSeconds int = 86400

@description('Largest model package the control app accepts, in bytes.')
@minValue(1)
param maxPackageBytes int = 268435456

@description('Largest total size of a package\'s entries once unzipped, in bytes.')
@minValue(1)
param maxUncompressedBytes int = 1073741824

@description('Most entries a model package zip may hold.')
@minValue(1)
@maxValue(2147483647)
param maxPackageEntries int = 16

@description('Most patients in one scoring request.')
@minValue(1)
@maxValue(2147483647)
param maxBatchRows int = 1000

@description('Largest HTTP request body, in bytes.')
@minValue(1)
@maxValue(2147483647)
param maxBodyBytes int = 4194304

@description('Logical partitions per model and hour of the predictions container: raise it, never lower it.')
@minValue(1)
@maxValue(64)
param cosmosPredictionShards int = 4

@description('Days audit exports stay immutable (WORM) in Blob Storage.')
@minValue(1)
param auditExportImmutabilityDays int = 2555

@description('Days each registered model package stays immutable (WORM) in Blob Storage: the bytes a version was registered with, kept for the device\'s records.')
@minValue(1)
param registeredPackageImmutabilityDays int = 3650

@description('Whether the infrastructure workflow locks the audit exports\' WORM policy after deploying (irreversible: a locked policy can only be extended, and the account cannot be deleted while it holds blobs under it).')
param lockAuditExportPolicy bool = true

@description('Premium plan SKU for the scoring app (EP1, EP2 or EP3).')
@allowed([ 'EP1', 'EP2', 'EP3' ])
param scoringPlanSku string = 'EP1'

@description('Always-ready instances of the scoring app, so scoring never waits for a cold start.')
@minValue(1)
param scoringMinimumInstances int = 1

@description('Keep Cosmos DB, Storage, Key Vault and Event Grid reachable only through private endpoints. Only a dev environment without patient data may set false.')
param privateNetworking bool = true

@description('Address space of the virtual network (a /22 or larger).')
param addressSpace string = '10.40.0.0/22'

@description('Deploy the Event Grid subscriptions. Azure refuses a subscription to a function that does not exist yet, so the first deployment of an environment leaves this false and the deploy workflow sets it once the code is in place.')
param deployEventSubscriptions bool = false

@description('Base64 of at least 32 random bytes to create the pseudonymisation key with. Pass it only when the secret does not exist yet (the infrastructure workflow checks): a new key gives every patient a new pseudonym.')
@secure()
param pseudonymisationKey string = ''

@description('Run both apps from container images in a registry this template creates, instead of zip packages.')
param runFromContainerRegistry bool = false

@description('Image tag the apps run when runFromContainerRegistry is set (the deploy workflow sets the commit).')
param imageTag string = 'latest'

@description('Put delete locks on the stateful resources (Cosmos DB, Storage, Key Vault, Log Analytics).')
param lockResources bool = true

@description('Days Log Analytics keeps logs.')
@minValue(30)
param logRetentionDays int = 90

@description('Tags added to every resource, beside application, environment and data classification.')
param tags object = {}

@description('E-mail addresses notified by Vigil\'s alerts (scoring errors and latency, dead letters, gates, canaries, drift, audit).')
param alertEmailAddresses array = []

var suffix = uniqueString(resourceGroup().id, prefix, environment)
var names = {
  cosmos: '${prefix}-cosmos-${environment}-${suffix}'
  storage: take('${prefix}st${environment}${suffix}', 24)
  functionsStorage: take('${prefix}fn${environment}${suffix}', 24)
  scoringHostStorage: take('${prefix}fs${environment}${suffix}', 24)
  keyVault: take('${prefix}-kv-${environment}-${suffix}', 24)
  topic: '${prefix}-events-${environment}'
  logs: '${prefix}-logs-${environment}'
  insights: '${prefix}-ai-${environment}'
  vnet: '${prefix}-vnet-${environment}'
  registry: take('${prefix}acr${environment}${suffix}', 50)
  scoringPlan: '${prefix}-scoring-plan-${environment}'
  controlPlan: '${prefix}-control-plan-${environment}'
  scoringApp: '${prefix}-scoring-${environment}-${suffix}'
  controlApp: '${prefix}-control-${environment}-${suffix}'
}
var identityNames = {
  scoring: '${prefix}-scoring-id-${environment}'
  control: '${prefix}-control-id-${environment}'
  pipeline: '${prefix}-pipeline-id-${environment}'
}
var allTags = union({
  application: 'vigil'
  environment: environment
  dataClassification: 'phi'
}, tags)

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    logAnalyticsName: names.logs
    appInsightsName: names.insights
    retentionInDays: logRetentionDays
    tags: allTags
    lockResources: lockResources
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    vnetName: names.vnet
    addressSpace: addressSpace
    tags: allTags
    workspaceId: monitoring.outputs.workspaceId
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    names: identityNames
    tags: allTags
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    accountName: names.cosmos
    zoneRedundant: environment == 'prod'
    publicNetworkAccess: !privateNetworking
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
    lockResources: lockResources
    predictionRetentionDays: predictionRetentionDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    accountName: names.storage
    auditExportImmutabilityDays: auditExportImmutabilityDays
    registeredPackageImmutabilityDays: registeredPackageImmutabilityDays
    publicNetworkAccess: !privateNetworking
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
    lockResources: lockResources
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    vaultName: names.keyVault
    tenantId: tenantId
    publicNetworkAccess: !privateNetworking
    pseudonymisationKey: pseudonymisationKey
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
    lockResources: lockResources
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    location: location
    topicName: names.topic
    storageAccountName: storage.outputs.accountName
    publicNetworkAccess: !privateNetworking
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

module registry 'modules/registry.bicep' = if (runFromContainerRegistry) {
  name: 'registry'
  params: {
    location: location
    registryName: names.registry
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
  }
}

// Every grant exists before the code first starts, so no app ever runs without the access it needs.
module access 'modules/access.bicep' = {
  name: 'access'
  params: {
    cosmosAccountName: names.cosmos
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    topicName: names.topic
    appInsightsName: names.insights
    registryName: runFromContainerRegistry ? names.registry : ''
    principals: {
      scoring: identities.outputs.scoring.principalId
      control: identities.outputs.control.principalId
      pipeline: identities.outputs.pipeline.principalId
      eventGridTopic: eventGrid.outputs.topicPrincipalId
      storageTopic: eventGrid.outputs.storageTopicPrincipalId
    }
  }
  dependsOn: [ cosmos, storage, keyVault, monitoring, registry ]
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
    identities: {
      scoring: identities.outputs.scoring
      control: identities.outputs.control
    }
    subnetIds: network.outputs.subnetIds
    publicNetworkAccess: !privateNetworking
    registryLoginServer: runFromContainerRegistry ? registry.outputs.loginServer : ''
    imageTag: imageTag
    workspaceId: monitoring.outputs.workspaceId
    tags: allTags
    settings: {
      VIGIL_MODE: 'azure'
      VIGIL_PREDICTION_RETENTION_DAYS: string(predictionRetentionDays)
      VIGIL_DRIFT_CHECK_SCHEDULE: driftCheckSchedule
      VIGIL_MONITORING_SETTLE_SECONDS: string(monitoringSettleSeconds)
      VIGIL_MONITORING_AWAIT_SECONDS: string(monitoringAwaitSeconds)
      VIGIL_MAX_PACKAGE_BYTES: string(maxPackageBytes)
      VIGIL_MAX_UNCOMPRESSED_BYTES: string(maxUncompressedBytes)
      VIGIL_MAX_PACKAGE_ENTRIES: string(maxPackageEntries)
      VIGIL_MAX_BATCH_ROWS: string(maxBatchRows)
      VIGIL_MAX_BODY_BYTES: string(maxBodyBytes)
      VIGIL_AZURE_COSMOS_CONNECTION_MODE: 'direct'
      VIGIL_AZURE_COSMOS_PREDICTION_SHARDS: string(cosmosPredictionShards)
      VIGIL_AZURE_COSMOS_ENDPOINT: cosmos.outputs.endpoint
      VIGIL_AZURE_COSMOS_DATABASE: cosmos.outputs.databaseName
      VIGIL_AZURE_BLOB_ENDPOINT: storage.outputs.blobEndpoint
      VIGIL_AZURE_EVENTGRID_ENDPOINT: eventGrid.outputs.endpoint
      VIGIL_AZURE_KEYVAULT_URI: keyVault.outputs.uri
    }
  }
  dependsOn: [ access ]
}

module privateEndpoints 'modules/private-endpoints.bicep' = if (privateNetworking) {
  name: 'private-endpoints'
  params: {
    location: location
    subnetId: network.outputs.subnetIds.privateEndpoints
    tags: allTags
    endpoints: concat([
      { name: '${names.cosmos}-sql', resourceId: cosmos.outputs.accountId, groupId: 'Sql', zoneId: network.outputs.zoneIds.cosmos }
      { name: '${names.storage}-blob', resourceId: storage.outputs.accountId, groupId: 'blob', zoneId: network.outputs.zoneIds.blob }
      { name: '${names.keyVault}-vault', resourceId: keyVault.outputs.vaultId, groupId: 'vault', zoneId: network.outputs.zoneIds.vault }
      { name: '${names.topic}-topic', resourceId: eventGrid.outputs.topicId, groupId: 'topic', zoneId: network.outputs.zoneIds.eventgrid }
      { name: '${names.scoringHostStorage}-blob', resourceId: apps.outputs.hostStorageIds[0], groupId: 'blob', zoneId: network.outputs.zoneIds.blob }
      { name: '${names.functionsStorage}-blob', resourceId: apps.outputs.hostStorageIds[1], groupId: 'blob', zoneId: network.outputs.zoneIds.blob }
      { name: '${names.functionsStorage}-queue', resourceId: apps.outputs.hostStorageIds[1], groupId: 'queue', zoneId: network.outputs.zoneIds.queue }
    ], runFromContainerRegistry ? [
      { name: '${names.registry}-registry', resourceId: registry.outputs.registryId, groupId: 'registry', zoneId: network.outputs.zoneIds.registry }
    ] : [])
  }
}

module subscriptions 'modules/eventgrid-subscriptions.bicep' = if (deployEventSubscriptions) {
  name: 'eventgrid-subscriptions'
  params: {
    storageAccountName: names.storage
    topicName: names.topic
    storageTopicName: eventGrid.outputs.storageTopicName
    controlAppName: names.controlApp
    scoringAppName: names.scoringApp
    subscriptions: loadJsonContent('event-subscriptions.json')
  }
  dependsOn: [ access, apps ]
}

// Workbooks, alert rules and their action group.
module observability 'modules/observability.bicep' = {
  name: 'observability'
  params: {
    location: location
    prefix: prefix
    environment: environment
    logAnalyticsName: names.logs
    topicName: names.topic
    storageTopicName: eventGrid.outputs.storageTopicName
    scoringAppName: names.scoringApp
    alertEmailAddresses: alertEmailAddresses
    tags: allTags
  }
  dependsOn: [ monitoring, apps ]
}

output scoringUrl string = apps.outputs.scoringUrl
output controlUrl string = apps.outputs.controlUrl
output scoringStagingUrl string = apps.outputs.scoringStagingUrl
output controlStagingUrl string = apps.outputs.controlStagingUrl
output scoringAppName string = names.scoringApp
output controlAppName string = names.controlApp
output storageAccountName string = names.storage
output keyVaultId string = keyVault.outputs.vaultId
output lockAuditExportPolicy bool = lockAuditExportPolicy
output registryLoginServer string = runFromContainerRegistry ? registry.outputs.loginServer : ''
output pipelineIdentityClientId string = identities.outputs.pipeline.clientId
output runnerSubnetId string = network.outputs.subnetIds.runners
output appInsightsName string = names.insights
output logAnalyticsWorkspaceId string = monitoring.outputs.workspaceId
