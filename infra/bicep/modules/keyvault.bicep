// Key Vault holding the pseudonymisation key and the audit evidence signing key; RBAC authorisation, purge
// protection on.
param location string
param vaultName string
param tenantId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
  }
}

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
