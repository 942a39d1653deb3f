// Blob Storage for model packages, datasets and audit exports. Shared-key access is off (managed identities
// only); audit exports sit under a time-based immutability (WORM) policy.
param location string
param accountName string
param auditExportImmutabilityDays int

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: 30 }
    containerDeleteRetentionPolicy: { enabled: true, days: 30 }
  }
}

resource models 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: 'models'
}

resource datasets 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: 'datasets'
}

// Files of realised outcomes (CSV or JSON Lines); BlobCreated -> IngestOutcomes.
resource outcomes 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: 'outcomes'
}

resource auditExports 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: 'audit-exports'
}

resource auditExportsWorm 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: auditExports
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: auditExportImmutabilityDays
    allowProtectedAppendWrites: false
  }
}

output blobEndpoint string = account.properties.primaryEndpoints.blob
output accountId string = account.id
