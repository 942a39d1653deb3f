// Log Analytics (where every resource's diagnostic settings send their logs and metrics) and workspace-based
// Application Insights for both Function Apps. Local authentication is off: the apps send telemetry with their
// managed identities, which access.bicep makes Monitoring Metrics Publishers.
@description('Azure region of the workspace and the Application Insights component.')
param location string

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Days the workspace keeps logs; the HIPAA audit trail of access to PHI systems is kept for six years in the audit log itself, this covers operations.')
@minValue(30)
param retentionInDays int

@description('Tags for every resource.')
param tags object

@description('Put a delete lock on the workspace.')
param lockResources bool

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
    features: { disableLocalAuth: true }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

// Who queried or changed the workspace itself.
resource logsDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: logs
  properties: {
    workspaceId: logs.id
    logs: [ { categoryGroup: 'audit', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

resource insightsDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: insights
  properties: {
    workspaceId: logs.id
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

resource logsLock 'Microsoft.Authorization/locks@2020-05-01' = if (lockResources) {
  name: 'do-not-delete'
  scope: logs
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds the operational and access logs of a system that processes PHI.'
  }
}

output connectionString string = insights.properties.ConnectionString
output workspaceId string = logs.id
output appInsightsId string = insights.id
