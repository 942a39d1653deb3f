// The two Function Apps (Java 17 on Linux): scoring on an Elastic Premium plan with always-ready instances,
// control on its own Elastic Premium plan. Both run under system-assigned managed identities, behind
// App Service authentication with Entra ID; settings are the names documented in docs/settings.md.
param location string
param environment string
param names object
param tenantId string
param apiClientId string
param scoringPlanSku string
param scoringMinimumInstances int
param appInsightsConnectionString string
param settings object

resource functionsStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: names.functionsStorage
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource scoringPlan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: names.scoringPlan
  location: location
  kind: 'elastic'
  sku: { name: scoringPlanSku, tier: 'ElasticPremium' }
  properties: {
    reserved: true
    maximumElasticWorkerCount: environment == 'prod' ? 20 : 4
  }
}

resource controlPlan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: names.controlPlan
  location: location
  kind: 'elastic'
  sku: { name: 'EP1', tier: 'ElasticPremium' }
  properties: {
    reserved: true
    maximumElasticWorkerCount: 3
  }
}

var baseSettings = [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'java' }
  { name: 'AzureWebJobsStorage__accountName', value: functionsStorage.name }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
  { name: 'APPLICATIONINSIGHTS_ENABLE_AGENT', value: 'true' }
  { name: 'JAVA_OPTS', value: '-XX:+UseG1GC -XX:MaxRAMPercentage=70' }
]
var vigilSettings = [for item in items(settings): { name: item.key, value: item.value }]

resource scoringApp 'Microsoft.Web/sites@2023-12-01' = {
  name: names.scoringApp
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: scoringPlan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'JAVA|17'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      minimumElasticInstanceCount: scoringMinimumInstances
      preWarmedInstanceCount: 1
      healthCheckPath: '/v2/health/ready'
      appSettings: concat(baseSettings, vigilSettings)
    }
  }
}

resource controlApp 'Microsoft.Web/sites@2023-12-01' = {
  name: names.controlApp
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: controlPlan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'JAVA|17'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(baseSettings, vigilSettings)
    }
  }
}

// Entra ID in front of both apps. Unauthenticated requests are let through to the health probes only;
// every other route checks the caller's app roles itself (x-ms-client-principal).
var authSettings = {
  platform: { enabled: true }
  globalValidation: {
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

resource scoringAuth 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: scoringApp
  name: 'authsettingsV2'
  properties: authSettings
}

resource controlAuth 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: controlApp
  name: 'authsettingsV2'
  properties: authSettings
}

// The apps reach their own host storage with their identities (no connection strings).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'

resource scoringHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [ storageBlobDataOwner, storageQueueDataContributor ]: {
  name: guid(functionsStorage.id, scoringApp.id, role)
  scope: functionsStorage
  properties: {
    principalId: scoringApp.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource controlHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [ storageBlobDataOwner, storageQueueDataContributor ]: {
  name: guid(functionsStorage.id, controlApp.id, role)
  scope: functionsStorage
  properties: {
    principalId: controlApp.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

output scoringPrincipalId string = scoringApp.identity.principalId
output controlPrincipalId string = controlApp.identity.principalId
output scoringUrl string = 'https://${scoringApp.properties.defaultHostName}'
output controlUrl string = 'https://${controlApp.properties.defaultHostName}'
