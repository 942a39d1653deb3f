using '../main.bicep'

// The test environment is built like production (it may hold PHI during acceptance): private endpoints only,
// delete locks, a locked WORM policy on audit exports.
param environment = 'test'
param apiClientId = readEnvironmentVariable('VIGIL_API_CLIENT_ID')
param predictionRetentionDays = 400
param scoringPlanSku = 'EP1'
param scoringMinimumInstances = 1
param privateNetworking = true
param lockResources = true
param lockAuditExportPolicy = true
param auditExportImmutabilityDays = 2555
param logRetentionDays = 90
param deployEventSubscriptions = bool(readEnvironmentVariable('DEPLOY_EVENT_SUBSCRIPTIONS', 'false'))
param pseudonymisationKey = readEnvironmentVariable('PSEUDONYMISATION_KEY', '')
param runFromContainerRegistry = bool(readEnvironmentVariable('RUN_FROM_REGISTRY', 'false'))
param imageTag = readEnvironmentVariable('IMAGE_TAG', 'latest')
param tags = {
  costCenter: 'vigil-test'
}
