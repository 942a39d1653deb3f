// User-assigned managed identities: one per Function App, shared by its production and staging slots (so a slot
// swap never changes who the code runs as and every role is granted once, before the code first starts), and one
// for the model pipeline's self-hosted runners (ADR 0007).
@description('Azure region of the identities.')
param location string

@description('Names of the identities: an object with scoring, control and pipeline.')
param names object

@description('Tags for every resource.')
param tags object

resource scoring 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.scoring
  location: location
  tags: tags
}

resource control 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.control
  location: location
  tags: tags
}

resource pipeline 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.pipeline
  location: location
  tags: tags
}

output scoring object = {
  id: scoring.id
  clientId: scoring.properties.clientId
  principalId: scoring.properties.principalId
}
output control object = {
  id: control.id
  clientId: control.properties.clientId
  principalId: control.properties.principalId
}
output pipeline object = {
  id: pipeline.id
  clientId: pipeline.properties.clientId
  principalId: pipeline.properties.principalId
}
