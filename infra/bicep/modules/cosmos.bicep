// Cosmos DB (NoSQL API) with the containers and partition keys of the architecture. Local (key) auth is
// disabled: the apps use their managed identities with data-plane RBAC. Public network access is off unless the
// environment is public (dev); then the private endpoint is the only way in.
@description('Azure region of the account.')
param location string

@description('Name of the Cosmos DB account.')
param accountName string

@description('Spread the account over availability zones (prod).')
param zoneRedundant bool

@description('Allow access from public networks (dev only); false leaves the private endpoint as the only way in.')
param publicNetworkAccess bool

@description('Log Analytics workspace for the account\'s diagnostic logs and metrics.')
param workspaceId string

@description('Tags for every resource.')
param tags object

@description('Put a delete lock on the account.')
param lockResources bool

@description('Days a prediction record is kept (VIGIL_PREDICTION_RETENTION_DAYS); outcomes go with their predictions.')
param predictionRetentionDays int

var databaseName = 'vigil'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    isVirtualNetworkFilterEnabled: false
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: zoneRedundant
      }
    ]
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: { tier: 'Continuous30Days' }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    options: { autoscaleSettings: { maxThroughput: 4000 } }
  }
}

resource models 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'models'
  properties: {
    resource: {
      id: 'models'
      partitionKey: { paths: [ '/modelName' ], kind: 'Hash' }
    }
  }
}

resource audit 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'audit'
  properties: {
    resource: {
      id: 'audit'
      partitionKey: { paths: [ '/partition' ], kind: 'Hash' }
    }
  }
}

// Outcomes: written once per key (create, 409 = already there), read by id with readMany; partition
// <model>:<bucket of the key>, so no query is ever needed. Each outcome's own `ttl` ends it when the retention
// cut-off passes the predictions it labels; one written without (before outcomes carried it) goes the retention
// after its write. Expiry needs no delete right, so the apps keep a role that cannot delete here.
resource outcomes 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'outcomes'
  properties: {
    resource: {
      id: 'outcomes'
      partitionKey: { paths: [ '/partition' ], kind: 'Hash' }
      defaultTtl: predictionRetentionDays * 86400
      indexingPolicy: {
        indexingMode: 'consistent'
        includedPaths: []
        excludedPaths: [ { path: '/*' } ]
      }
    }
  }
}

resource predictions 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'predictions'
  properties: {
    resource: {
      id: 'predictions'
      partitionKey: { paths: [ '/partition' ], kind: 'Hash' }
      // -1: TTL is on and each record's own `ttl` (VIGIL_PREDICTION_RETENTION_DAYS when it was written) decides;
      // the index documents in partition `_index` carry none and never expire.
      defaultTtl: -1
      indexingPolicy: {
        indexingMode: 'consistent'
        includedPaths: [ { path: '/time/?' }, { path: '/modelName/?' } ]
        excludedPaths: [ { path: '/*' } ]
      }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'Requests', enabled: true } ]
  }
}

resource lock 'Microsoft.Authorization/locks@2020-05-01' = if (lockResources) {
  name: 'do-not-delete'
  scope: account
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds the model registry, the audit log and the prediction log.'
  }
}

output accountId string = account.id
output endpoint string = account.properties.documentEndpoint
output databaseName string = databaseName
