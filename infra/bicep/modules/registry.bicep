// Azure Container Registry for the apps' images (functions/*/Dockerfile), used when main.bicep's
// `runFromContainerRegistry` is set. No admin user and no anonymous pull: the apps pull with their managed
// identities (AcrPull, access.bicep). Images hold code only, never patient data, so the registry stays
// reachable from the build; Premium allows a private endpoint for the apps' pulls.
@description('Azure region of the registry.')
param location string

@description('Name of the registry (5-50 letters and digits).')
param registryName string

@description('Log Analytics workspace for the registry\'s login and repository events.')
param workspaceId string

@description('Tags for every resource.')
param tags object

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: registryName
  location: location
  tags: tags
  sku: { name: 'Premium' }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
    networkRuleBypassOptions: 'AzureServices'
    policies: {
      retentionPolicy: { status: 'enabled', days: 30 }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: registry
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

output registryId string = registry.id
output loginServer string = registry.properties.loginServer
