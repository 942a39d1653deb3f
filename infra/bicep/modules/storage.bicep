// Blob Storage for model packages, datasets, audit exports, realised outcomes and dead-lettered events. Shared-key access is off
// (managed identities only). The firewall denies every public network unless the environment is public (dev):
// the private endpoint is the way in, and Event Grid, a trusted service, dead-letters with its own identity.
// Audit exports sit under a time-based immutability (WORM) policy, which the infrastructure workflow locks where
// `lockAuditExportPolicy` is set (locking cannot be expressed in a template and cannot be undone). Registered model
// packages (`packages`, one blob per package sha256) have version-level immutability with a default time-based
// policy: a blob there can be neither overwritten nor deleted while its retention runs, so the bytes every
// registered version was registered with stay readable, whatever happens to the upload in `models`.
@description('Azure region of the account.')
param location string

@description('Name of the storage account.')
param accountName string

@description('Days audit exports stay immutable (WORM).')
param auditExportImmutabilityDays int

@description('Days each registered model package (container `packages`) stays immutable (WORM).')
param registeredPackageImmutabilityDays int

@description('Allow access from public networks (dev only).')
param publicNetworkAccess bool

@description('Log Analytics workspace for the account\'s and the blob service\'s diagnostic logs and metrics.')
param workspaceId string

@description('Tags for every resource.')
param tags object

@description('Put a delete lock on the account.')
param lockResources bool

// The containers the code uses (health.vigil.port.ArtifactStore), among them the dead-letter container of Event
// Grid, where the control app also keeps the events its functions refused for good (under `refused/`).
// The indexes of 'audit-exports' (2) and 'packages' (4) are used below; new containers go at the end. `packages`
// was created with version-level immutability, which can only be chosen when a container is created. 'outcomes'
// holds files of realised outcomes (CSV or JSON Lines), ingested on BlobCreated by IngestOutcomes; 'monitoring'
// the reports of DriftCheck. A file uploaded to 'batch-input' starts a batch job (BlobCreated, StartBatchOnUpload);
// 'batch-output' holds each job's plan, checkpoints, per-row results and summary.
var containerNames = [ 'models', 'datasets', 'audit-exports', 'event-deadletter', 'packages', 'outcomes', 'monitoring', 'batch-input', 'batch-output' ]
var versionImmutableContainers = [ 'packages' ]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
      ipRules: []
      virtualNetworkRules: []
    }
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

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for name in containerNames: {
  parent: blobs
  name: name
  properties: contains(versionImmutableContainers, name)
    ? { publicAccess: 'None', immutableStorageWithVersioning: { enabled: true } }
    : { publicAccess: 'None' }
}]

// Versioning (which `packages` needs) keeps a previous version of every blob that is deleted or replaced, and
// nothing removes it: a batch file purged by retention, an outcome file or a replaced checkpoint would stay readable
// for ever. Previous versions in the containers that hold patient data or churn (leases, checkpoints, reports) are
// deleted a day after they are made; the account's 30-day soft delete still applies to them, so a deleted file is
// gone for good within 31 days. `packages` and `audit-exports` are kept by their immutability policies instead, and
// `event-deadletter` holds no patient data.
var versionsDeletedContainers = [ 'models', 'datasets', 'outcomes', 'monitoring', 'batch-input', 'batch-output' ]

resource previousVersions 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-previous-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [ 'blockBlob' ]
              prefixMatch: [for name in versionsDeletedContainers: '${name}/']
            }
            actions: {
              version: { delete: { daysAfterCreationGreaterThan: 1 } }
            }
          }
        }
      ]
    }
  }
  dependsOn: [ containers ]
}

resource auditExportsWorm 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: containers[2]
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: auditExportImmutabilityDays
    allowProtectedAppendWrites: false
  }
}

// On a container with version-level immutability this policy is the default one of every blob version written
// to it; it is not locked by the template, so a mistaken retention can still be shortened before it is locked.
resource registeredPackagesWorm 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: containers[4]
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: registeredPackageImmutabilityDays
    allowProtectedAppendWrites: false
  }
}

resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: workspaceId
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}

// Every read and write of a blob (who, which blob, from where): the access log of packages and exports.
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobs
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'Transaction', enabled: true } ]
  }
}

resource lock 'Microsoft.Authorization/locks@2020-05-01' = if (lockResources) {
  name: 'do-not-delete'
  scope: account
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds model packages, immutable registered packages, datasets, batch files and immutable audit exports.'
  }
}

output accountId string = account.id
output accountName string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output containerNames array = containerNames
