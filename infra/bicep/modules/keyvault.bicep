// Key Vault holding the pseudonymisation key; RBAC authorisation, purge protection on.
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

output uri string = vault.properties.vaultUri
