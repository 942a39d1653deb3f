// Key Vault holding the pseudonymisation key and the audit evidence signing key; RBAC authorisation, purge protection on, no public network access
// unless the environment is public (dev). The key is written once: main.bicep passes a value only when the secret
// does not exist yet (the infrastructure workflow checks through the control plane), because a new key would
// give every patient a new pseudonym.
@description('Azure region of the vault.')
param location string

@description('Name of the vault.')
param vaultName string

@description('Entra ID tenant of the vault.')
param tenantId string

@description('Allow access from public networks (dev only).')
param publicNetworkAccess bool

@description('Base64 of at least 32 random bytes to create the secret `pseudonymisation-key` with; empty leaves the existing secret alone.')
@secure()
param pseudonymisationKey string

@description('Log Analytics workspace for the vault\'s audit events and metrics.')
param workspaceId string

@description('Tags for every resource.')
param tags object

@description('Put a delete lock on the vault.')
param lockResources bool

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: {
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource pseudonymisationSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(pseudonymisationKey)) {
  parent: vault
  name: 'pseudonymisation-key'
  properties: {
    value: pseudonymisationKey
    contentType: 'base64; HMAC-SHA256 key for patient pseudonyms'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'audit', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

resource lock 'Microsoft.Authorization/locks@2020-05-01' = if (lockResources) {
  name: 'do-not-delete'
  scope: vault
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds the pseudonymisation key; losing it breaks every pseudonym.'
  }
}

output vaultId string = vault.id

// Signs audit export digests and chain-head anchors (ES256). Not exportable: the control app may sign with it and
// read its public half, never the private key. Rotation: docs/runbooks/key-rotation.md.
resource auditSigningKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: 'audit-signing'
  properties: {
    kty: 'EC'
    curveName: 'P-256'
    keyOps: [ 'sign', 'verify' ]
    attributes: {
      enabled: true
      exportable: false
    }
  }
}

output uri string = vault.properties.vaultUri
output pseudonymisationSecretName string = 'pseudonymisation-key'
