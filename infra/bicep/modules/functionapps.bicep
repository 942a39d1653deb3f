// The two Function Apps (Java 17 on Linux), each on its own Elastic Premium plan: scoring with always-ready
// instances, control beside it. Each has a `staging` slot that the deploy workflow deploys to, smoke-tests and
// swaps; both slots of an app run as the app's user-assigned identity, send all outbound traffic (and their image
// pulls) through their delegated subnet, and sit behind App Service authentication with Entra ID. The code comes
// from a zip package (WEBSITE_RUN_FROM_PACKAGE) or, with a registry login server, from the app's container image
// pulled with the managed identity. Settings are the names documented in docs/settings.md.
@description('Azure region of the apps, plans and host storage.')
param location string

@description('Short environment name: dev, test or prod.')
param environment string

@description('Resource names: scoringApp, controlApp, scoringPlan, controlPlan, scoringHostStorage, functionsStorage.')
param names object

@description('Entra ID tenant that issues tokens for the APIs.')
param tenantId string

@description('Application (client) id of the Vigil API app registration.')
param apiClientId string

@description('Premium plan SKU of the scoring app.')
param scoringPlanSku string

@description('Always-ready instances of the scoring app.')
param scoringMinimumInstances int

@description('Application Insights connection string (not a secret: ingestion needs an Entra ID token).')
param appInsightsConnectionString string

@description('The apps\' identities: objects scoring and control, each with id and clientId.')
param identities object

@description('Vigil\'s own settings, the same for both apps.')
param settings object

@description('Delegated subnets for the apps\' outbound VNet integration: scoringApps and controlApps.')
param subnetIds object

@description('Allow the host storage account to be reached from public networks (dev only).')
param publicNetworkAccess bool

@description('Login server of the container registry to run the apps\' images from; empty: run zip packages.')
param registryLoginServer string

@description('Image tag to run when registryLoginServer is set.')
param imageTag string

@description('Log Analytics workspace for the apps\' function logs and the plans\' metrics.')
param workspaceId string

@description('Tags for every resource.')
param tags object

var fromRegistry = !empty(registryLoginServer)

var apps = [
  {
    key: 'scoring'
    name: names.scoringApp
    plan: names.scoringPlan
    sku: scoringPlanSku
    maximumWorkers: environment == 'prod' ? 20 : 4
    minimumInstances: scoringMinimumInstances
    subnetId: subnetIds.scoringApps
    identity: identities.scoring
    healthCheckPath: '/v2/health/ready'
    hostStorage: names.scoringHostStorage
  }
  {
    key: 'control'
    name: names.controlApp
    plan: names.controlPlan
    sku: 'EP1'
    maximumWorkers: 3
    minimumInstances: 1
    subnetId: subnetIds.controlApps
    identity: identities.control
    healthCheckPath: ''
    hostStorage: names.functionsStorage
  }
]

// The apps' indexes in `apps`: the work queues are on the control app's host storage account.
var scoring = 0
var control = 1

// Each app has a host storage account of its own (AzureWebJobsStorage: the host's keys, leases and timers, and the
// control app's work queues), so that neither identity can read the other's host keys, which call any of its
// functions through the host's admin API, nor put messages on the other's queues.
resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = [for app in apps: {
  name: app.hostStorage
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
    }
  }
}]

resource hostBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = [for (app, i) in apps: {
  parent: hostStorage[i]
  name: 'default'
}]

resource hostQueues 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = [for (app, i) in apps: {
  parent: hostStorage[i]
  name: 'default'
}]

// One message per range of a batch file, read by the control app's ScoreBatchPartition (queue trigger on
// AzureWebJobsStorage); the host moves a message that failed maxDequeueCount times (host.json) to
// batch-partitions-poison.
resource batchPartitionsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: hostQueues[control]
  name: 'batch-partitions'
}

// One message per prediction-log partition (model, hour, shard) of a large monitoring window, read by the control
// app's DriftCheckPartition (queue trigger on AzureWebJobsStorage); poison messages go to monitoring-partitions-poison.
resource monitoringPartitionsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: hostQueues[control]
  name: 'monitoring-partitions'
}

resource plans 'Microsoft.Web/serverfarms@2023-12-01' = [for app in apps: {
  name: app.plan
  location: location
  tags: tags
  kind: 'elastic'
  sku: { name: app.sku, tier: 'ElasticPremium' }
  properties: {
    reserved: true
    maximumElasticWorkerCount: app.maximumWorkers
  }
}]

var authSettings = {
  platform: { enabled: true }
  globalValidation: {
    // Unauthenticated requests are let through to the health probes only; every other route checks the
    // caller's app roles itself (x-ms-client-principal).
    requireAuthentication: false
    unauthenticatedClientAction: 'AllowAnonymous'
  }
  identityProviders: {
    azureActiveDirectory: {
      enabled: true
      registration: {
        openIdIssuer: 'https://sts.windows.net/${tenantId}/v2.0'
        clientId: apiClientId
      }
      validation: {
        allowedAudiences: [ 'api://${apiClientId}' ]
      }
    }
  }
  login: { tokenStore: { enabled: false } }
}

// The same configuration for an app's production site and its staging slot, but for the slot settings (below).
var siteProperties = [for (app, i) in apps: {
  serverFarmId: plans[i].id
  httpsOnly: true
  clientCertEnabled: false
  virtualNetworkSubnetId: app.subnetId
  vnetRouteAllEnabled: true
  // The platform pulls the app's image through the subnet too (not over the registry's public endpoint), so with
  // private networking the pull goes through the registry's private endpoint.
  vnetImagePullEnabled: true
  keyVaultReferenceIdentity: app.identity.id
  siteConfig: {
    linuxFxVersion: fromRegistry ? 'DOCKER|${registryLoginServer}/vigil-${app.key}:${imageTag}' : 'JAVA|17'
    acrUseManagedIdentityCreds: fromRegistry
    acrUserManagedIdentityID: fromRegistry ? app.identity.clientId : null
    minTlsVersion: '1.2'
    ftpsState: 'Disabled'
    http20Enabled: true
    minimumElasticInstanceCount: app.minimumInstances
    preWarmedInstanceCount: 1
    healthCheckPath: empty(app.healthCheckPath) ? null : app.healthCheckPath
    // The control app's queue triggers read the work queues on its host storage account, whose firewall the scale
    // controller does not pass: it would see no backlog and add no instance. With runtime scale monitoring the app's
    // own host reports the queues' lengths, through its subnet. Site configuration swaps with the code: both slots.
    functionsRuntimeScaleMonitoringEnabled: i == control
    appSettings: concat([
      { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
      { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'java' }
      { name: 'AzureWebJobsStorage__accountName', value: app.hostStorage }
      { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
      { name: 'AzureWebJobsStorage__clientId', value: app.identity.clientId }
      { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
      { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${app.identity.clientId}' }
      { name: 'APPLICATIONINSIGHTS_ENABLE_AGENT', value: 'true' }
      { name: 'JAVA_OPTS', value: '-XX:+UseG1GC -XX:MaxRAMPercentage=70 --add-modules=jdk.incubator.vector' }
      { name: 'MALLOC_ARENA_MAX', value: '2' }
      { name: 'VIGIL_AZURE_CLIENT_ID', value: app.identity.clientId }
      fromRegistry
        ? { name: 'WEBSITES_ENABLE_APP_SERVICE_STORAGE', value: 'false' }
        : { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }
    ], i == control ? [
      // Only the control app queues work. Built from the account's name: an account's endpoints are known only
      // once it is deployed, and this variable is evaluated when the deployment starts.
      { name: 'VIGIL_AZURE_QUEUE_ENDPOINT', value: 'https://${app.hostStorage}.queue.${az.environment().suffixes.storage}/' }
    ] : [], [for item in items(settings): { name: item.key, value: item.value }])
  }
}]

// Settings that stay with their slot when the slots swap (slotConfigNames, below). Both slots of an app share its host
// storage account, where the host keeps its keys, timer schedules and singleton locks under its host ID. By default
// the host takes the first 32 characters of the slot's name (`<app>-staging` for the slot, trailing dashes dropped),
// and with the default prefix the apps' names are 31 or 32 characters long: both slots would have the same ID, which
// the Functions host (v4) treats as a collision, and stops. So each slot has an ID of its own: the production slot's
// is the one the host derived from the app's name, so that its keys and schedules stay where they are.
//
// The control app's timer- and queue-triggered functions run in the production slot only. The staging slot holds the
// code under test before a swap and the code swapped out after it, with the same host storage account, work queues
// and stores: running them there would run each timer twice, once with the old code, and hand batch and monitoring
// partitions to it. The host on Linux reads AzureWebJobs_<function>_Disabled (app settings there cannot hold dots).
var slotSettings = [for (app, i) in apps: {
  production: concat([ { name: 'AzureFunctionsWebHost__hostid', value: toLower(take(app.name, 32)) } ],
    i == control ? backgroundFunctionsOn : [])
  staging: concat([ { name: 'AzureFunctionsWebHost__hostid', value: '${app.key}-staging-${uniqueString(app.name)}' } ],
    i == control ? backgroundFunctionsOff : [])
}]

var backgroundFunctions = [
  'AuditAnchor'
  'AuditDailyExport'
  'CanaryController'
  'DriftCheck'
  'DriftCheckPartition'
  'FailAbandonedBatchPartition'
  'PredictionRetention'
  'ScoreBatchPartition'
]
var backgroundFunctionsOn = [for f in backgroundFunctions: { name: 'AzureWebJobs_${f}_Disabled', value: 'false' }]
var backgroundFunctionsOff = [for f in backgroundFunctions: { name: 'AzureWebJobs_${f}_Disabled', value: 'true' }]

resource sites 'Microsoft.Web/sites@2023-12-01' = [for (app, i) in apps: {
  name: app.name
  location: location
  tags: tags
  kind: fromRegistry ? 'functionapp,linux,container' : 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${app.identity.id}': {} }
  }
  properties: union(siteProperties[i], {
    siteConfig: union(siteProperties[i].siteConfig, {
      appSettings: concat(siteProperties[i].siteConfig.appSettings, slotSettings[i].production)
    })
  })
}]

resource stagingSlots 'Microsoft.Web/sites/slots@2023-12-01' = [for (app, i) in apps: {
  parent: sites[i]
  name: 'staging'
  location: location
  tags: tags
  kind: fromRegistry ? 'functionapp,linux,container' : 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${app.identity.id}': {} }
  }
  properties: union(siteProperties[i], {
    siteConfig: union(siteProperties[i].siteConfig, {
      appSettings: concat(siteProperties[i].siteConfig.appSettings, slotSettings[i].staging)
    })
  })
}]

// The slot settings' names: a swap leaves each of them with its slot.
resource stickySettings 'Microsoft.Web/sites/config@2023-12-01' = [for (app, i) in apps: {
  parent: sites[i]
  name: 'slotConfigNames'
  properties: {
    appSettingNames: [for setting in slotSettings[i].production: setting.name]
  }
}]

// Publishing with a user name and password is off on every site and slot, for FTP and for the SCM (Kudu) site:
// the deploy workflow signs in with its Entra ID identity through OpenID Connect, which the Azure CLI's zip deploy
// uses when basic authentication is off, so no publishing profile exists that could deploy code unaudited.
var publishingMethods = [ 'ftp', 'scm' ]

resource sitePublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = [for j in range(0, length(apps) * length(publishingMethods)): {
  parent: sites[j / length(publishingMethods)]
  name: publishingMethods[j % length(publishingMethods)]
  properties: { allow: false }
}]

resource slotPublishing 'Microsoft.Web/sites/slots/basicPublishingCredentialsPolicies@2023-12-01' = [for j in range(0, length(apps) * length(publishingMethods)): {
  parent: stagingSlots[j / length(publishingMethods)]
  name: publishingMethods[j % length(publishingMethods)]
  properties: { allow: false }
}]

resource siteAuth 'Microsoft.Web/sites/config@2023-12-01' = [for (app, i) in apps: {
  parent: sites[i]
  name: 'authsettingsV2'
  properties: authSettings
}]

resource slotAuth 'Microsoft.Web/sites/slots/config@2023-12-01' = [for (app, i) in apps: {
  parent: stagingSlots[i]
  name: 'authsettingsV2'
  properties: authSettings
}]

resource siteDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (app, i) in apps: {
  name: 'to-log-analytics'
  scope: sites[i]
  properties: {
    workspaceId: workspaceId
    logs: [ { category: 'FunctionAppLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}]

resource slotDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (app, i) in apps: {
  name: 'to-log-analytics'
  scope: stagingSlots[i]
  properties: {
    workspaceId: workspaceId
    logs: [ { category: 'FunctionAppLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}]

resource planDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (app, i) in apps: {
  name: 'to-log-analytics'
  scope: plans[i]
  properties: {
    workspaceId: workspaceId
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}]

resource hostStorageDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (app, i) in apps: {
  name: 'to-log-analytics'
  scope: hostStorage[i]
  properties: {
    workspaceId: workspaceId
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}]

resource hostBlobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (app, i) in apps: {
  name: 'to-log-analytics'
  scope: hostBlobs[i]
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}]

resource hostQueueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (app, i) in apps: {
  name: 'to-log-analytics'
  scope: hostQueues[i]
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}]

// Each app reaches its own host storage, and only its own, with its identity (no connection strings). The host keeps
// its keys, leases and timer schedules in blobs there (Storage Blob Data Owner); only the control app uses queues
// (its queue triggers and the work queues it puts messages on), so only it holds Storage Queue Data Contributor: the
// scoring app has no queue trigger and queues nothing.
var blobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var queueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var hostStorageGrants = [
  { app: scoring, role: blobDataOwner }
  { app: control, role: blobDataOwner }
  { app: control, role: queueDataContributor }
]

resource hostStorageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for g in hostStorageGrants: {
  name: guid(hostStorage[g.app].id, apps[g.app].identity.principalId, g.role)
  scope: hostStorage[g.app]
  properties: {
    principalId: apps[g.app].identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', g.role)
  }
}]

output hostStorageIds array = [for (app, i) in apps: hostStorage[i].id]
output scoringUrl string = 'https://${sites[0].properties.defaultHostName}'
output controlUrl string = 'https://${sites[1].properties.defaultHostName}'
output scoringStagingUrl string = 'https://${stagingSlots[0].properties.defaultHostName}'
output controlStagingUrl string = 'https://${stagingSlots[1].properties.defaultHostName}'
