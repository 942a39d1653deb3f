// Cosmos DB (NoSQL API) with the containers and partition keys of the architecture. Local (key) auth is
// disabled: the apps use their managed identities with data-plane RBAC.
param location string
param accountName string
param predictionRetentionDays int
param zoneRedundant bool

var databaseName = 'vigil'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    minimalTlsVersion: 'Tls12'
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
// <model>:<bucket of the key>, so no query is ever needed.
resource outcomes 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'outcomes'
  properties: {
    resource: {
      id: 'outcomes'
      partitionKey: { paths: [ '/partition' ], kind: 'Hash' }
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
      defaultTtl: predictionRetentionDays * 86400
      indexingPolicy: {
        indexingMode: 'consistent'
        includedPaths: [ { path: '/time/?' }, { path: '/modelName/?' } ]
        excludedPaths: [ { path: '/*' } ]
      }
    }
  }
}

output endpoint string = account.properties.documentEndpoint
output databaseName string = databaseName
